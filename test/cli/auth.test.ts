/**
 * Auth from the command line: `baton auth bootstrap` makes the first owner straight in a fresh
 * database and prints an owner key once; the key drives `baton api-key`, and a revoked key gets
 * a one-line error that says what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpApiServer, type HttpApiServer } from "../helpers/http-api-server";
import { useTestDatabase } from "../helpers/db";
import { runCli, show } from "./run-cli";

const SECRET = "cli-auth-test-secret-0123456789abcdefghij";

describe("baton auth and api-key", () => {
  const handle = useTestDatabase();
  let server: HttpApiServer;
  beforeAll(async () => {
    server = await startHttpApiServer(() => handle.database.db, undefined, { enabled: true, secret: SECRET, baseUrl: "http://127.0.0.1", trustedOrigins: [] });
  });
  afterAll(() => server?.close());

  it("bootstraps the owner, makes, lists and revokes keys; refusals read as one line", async () => {
    const env = { BATON_AUTH_SECRET: SECRET, DATABASE_URL: handle.config.url, BATON_BOOTSTRAP_PASSWORD: "a long bootstrap password" };
    const boot = await runCli(["auth", "bootstrap", "--email", "root@example.com", "--create-key", "admin"], env);
    expect(boot.code, show(boot)).toBe(0);
    expect(boot.stdout).toMatch(/Created root@example.com, owner of the default workspace/);
    const ownerKey = /^(baton_\S+)$/m.exec(boot.stdout)?.[1];
    expect(ownerKey, show(boot)).toBeTruthy();
    const again = await runCli(["auth", "bootstrap", "--email", "other@example.com"], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/has accounts already/);

    const baton = (key: string | undefined, ...args: string[]) => runCli(args, { BATON_API_URL: server.apiUrl, BATON_API_KEY: key, BATON_WORKSPACE: undefined });
    const anonymous = await baton(undefined, "work-pool", "ls");
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr, show(anonymous)).toMatch(/Not signed in: set BATON_API_KEY or pass --api-key/);

    expect((await baton(ownerKey, "work-pool", "create", "gpu", "--type", "node")).code).toBe(0);
    const made = await baton(ownerKey, "api-key", "create", "gpu-box", "--role", "worker", "--pool", "gpu", "--expires-in", "30 days");
    expect(made.code, show(made)).toBe(0);
    const workerKey = /^(baton_\S+)$/m.exec(made.stdout)?.[1];
    expect(workerKey).toBeTruthy();
    const status = await baton(workerKey, "auth", "status");
    expect(status.stdout).toMatch(/Signed in with API key 'gpu-box' \(worker\)/);
    // A worker key speaks only the worker protocol.
    const refused = await baton(workerKey, "deployment", "ls");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr, show(refused)).toMatch(/Your key may not do this/);

    const listed = await baton(ownerKey, "api-key", "ls");
    expect(listed.stdout, show(listed)).toMatch(/gpu-box\s+baton_\S+…\s+worker/);
    expect(listed.stdout).not.toContain(workerKey!);
    const id = /([0-9a-f-]{36})\s*$/m.exec(listed.stdout.split("\n").find((l) => l.includes("gpu-box"))!)?.[1];
    expect((await baton(ownerKey, "api-key", "revoke", id!)).stdout).toMatch(/Revoked API key 'gpu-box'/);
    const gone = await baton(workerKey, "auth", "status");
    expect(gone.stdout).toMatch(/not signed in/);
    const revoked = await baton(workerKey, "work-pool", "ls");
    expect(revoked.stderr, show(revoked)).toMatch(/was revoked/);
    expect(revoked.stderr).not.toContain(workerKey!);
  });
});
