/**
 * The attack issue 9 measured: anyone who reached the port could define a process pool's command
 * (or a deployment's job variables) and have a worker run it. With auth on, only someone with
 * the execution privilege may define what a worker executes; everyone else — anonymous callers,
 * editors, viewers, the worker's own key — is refused, and the real worker process runs only
 * what the owner defined. Proven by counting lines in a file the commands append to.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/api/root";
import { SETUP_TOKEN_HEADER, setupToken } from "../../server/auth/better-auth";
import { useWorkerHarness, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const SECRET = "command-execution-test-secret-0123456789abcdef";
const dir = mkdtempSync(path.join(os.tmpdir(), "baton-rce-"));
const marker = path.join(dir, "side-effects.txt");
const append = (line: string) => ["node", "-e", `require("fs").appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(line + "\n")})`];

describe("defining what workers execute is a privilege", () => {
  const h = useWorkerHarness({}, { auth: { enabled: true, secret: SECRET, baseUrl: "http://127.0.0.1", trustedOrigins: ["http://127.0.0.1"] } });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const client = (headers: Record<string, string>) =>
    createTRPCClient<AppRouter>({ links: [httpLink({ url: `${h.apiUrl}/trpc`, headers })] });
  async function signUp(body: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
    const res = await fetch(`${h.apiUrl}/auth/sign-up/email`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(200);
    return res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.includes("session_token="))!;
  }
  async function refusal(p: Promise<unknown>): Promise<string> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err, "the call should have been refused").toBeInstanceOf(TRPCClientError);
    return (err as TRPCClientError<AppRouter>).data?.code ?? "UNKNOWN";
  }

  it("nobody without the privilege sets a command, job variables or a code entrypoint, and the worker runs only the owner's command", async () => {
    const ownerCookie = await signUp({ name: "Owner", email: "owner@example.com", password: "owner's long password" }, { [SETUP_TOKEN_HEADER]: setupToken(SECRET) });
    const owner = client({ cookie: ownerCookie });
    await owner.workPools.create.mutate({ name: "proc", type: "process", baseJobTemplate: { command: append("owner-approved") } });
    await owner.deployments.create.mutate({ flow: "job", name: "approved", workPool: "proc" });
    const invite = await owner.invitations.create.mutate({ email: "ed@example.com", role: "editor" });
    const editor = client({ cookie: await signUp({ name: "Ed", email: "ed@example.com", password: "editor's long password" }) });
    await editor.invitations.accept.mutate({ id: invite.id });
    const workerKey = await owner.apiKeys.create.mutate({ name: "proc-worker", role: "worker", workPools: ["proc"] });
    const keyClient = client({ authorization: `Bearer ${workerKey.key}` });
    const anonymous = client({});

    const evil = append("pwned");
    const attempts: [string, () => Promise<unknown>][] = [];
    for (const [who, c] of [["anonymous", anonymous], ["editor", editor], ["worker key", keyClient]] as const) {
      attempts.push(
        [`${who}: process pool with a command`, () => c.workPools.create.mutate({ name: `evil-${who.replace(" ", "-")}`, type: "process", baseJobTemplate: { command: evil } })],
        [`${who}: change the pool's command`, () => c.workPools.update.mutate({ workPool: "proc", baseJobTemplate: { command: evil } })],
        [`${who}: deployment with job variables`, () => c.deployments.create.mutate({ flow: "job", name: `evil-${who.replace(" ", "-")}`, workPool: "proc", jobVariables: { command: evil } })],
        [`${who}: change a deployment's job variables`, () => c.deployments.update.mutate({ deployment: "job/approved", jobVariables: { env: { NODE_OPTIONS: `--require ${marker}` } } })],
        [`${who}: a code entrypoint`, () => c.deployments.update.mutate({ deployment: "job/approved", entrypoint: "examples/hello.ts:hello" })],
      );
    }
    const codes: string[] = [];
    for (const [what, attempt] of attempts) codes.push(`${what}: ${await refusal(attempt())}`);
    expect(codes.filter((c) => !/: (UNAUTHORIZED|FORBIDDEN)$/.test(c))).toEqual([]);
    // Paths outside the worker's code root are refused to everyone, owners included.
    expect(await refusal(owner.deployments.update.mutate({ deployment: "job/approved", entrypoint: "../../../tmp/evil.ts:flow" }))).toBe("BAD_REQUEST");
    expect(await refusal(owner.deployments.update.mutate({ deployment: "job/approved", entrypoint: "/etc/evil.ts:flow" }))).toBe("BAD_REQUEST");

    // The real worker, with its pool-scoped key, runs the owner's command when an editor runs the deployment.
    const worker = h.startWorker(["-p", "proc", "--name", "proc-1"], { BATON_API_KEY: workerKey.key });
    await h.waitForWorker(worker);
    const run = await editor.deployments.run.mutate({ deployment: "job/approved" });
    const done = await waitFor(async () => {
      const r = await owner.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000, () => worker.output());
    expect(done.stateType, `${done.stateMessage}\n${worker.output()}`).toBe("COMPLETED");
    expect(existsSync(marker)).toBe(true);
    expect(readFileSync(marker, "utf8")).toBe("owner-approved\n");
    const history = await owner.flowRuns.history.query({ id: run.id });
    // Made by the editor; every later change by the worker that held the lease.
    expect(history.map((s) => s.actor)).toEqual(["user:ed@example.com", ...history.slice(1).map(() => "worker:proc-1")]);
    expect(history.at(-1)!.toType).toBe("COMPLETED");
    expect(worker.output()).not.toContain(workerKey.key);
  });
});
