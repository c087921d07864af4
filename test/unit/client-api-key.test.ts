/**
 * API keys on the client side: the typed client sends `authorization: Bearer <key>` (option or
 * BATON_API_KEY), the CLI takes `--api-key`, process jobs get the worker's key, and no message
 * (client, CLI, worker) ever shows the key.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { describeCliError } from "../../cli/errors";
import {
  AUTHORIZATION_HEADER,
  createBatonClient,
  describeClientError,
  redactSecrets,
  resolveApiKey,
  resolveClientSettings,
} from "../../server/client";
import { ConfigError } from "../../server/config";
import { runProcessJob } from "../../workers/node/process-job";
import type { ClaimedRun, WorkerRuntime } from "../../workers/node/types";
import { runCli } from "../cli/run-cli";

const KEY = "baton_k3yThatMustNeverBePrinted0123456789";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function trpcError(code: string, httpStatus: number, message: string): Response {
  return json({ error: { message, code: -32001, data: { code, httpStatus, field: null, reason: null } } }, httpStatus);
}

/** A client whose every request is recorded and answered by `answer`. */
function recording(opts: Parameters<typeof createBatonClient>[0] = {}, answer: () => Response = () => json({ result: { data: [] } })) {
  const seen: Headers[] = [];
  const client = createBatonClient({
    apiUrl: "http://baton.test/api",
    batch: false,
    ...opts,
    fetch: async (_input, init) => {
      seen.push(new Headers(init?.headers));
      return answer();
    },
  });
  return { client, seen };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the client sends the API key", () => {
  it("as authorization: Bearer, from the option", async () => {
    const { client, seen } = recording({ apiKey: KEY });
    await client.workPools.list.query();
    expect(seen[0]!.get(AUTHORIZATION_HEADER)).toBe(`Bearer ${KEY}`);
  });

  it("in batched requests too", async () => {
    const { client, seen } = recording({ apiKey: KEY, batch: true }, () => json([{ result: { data: [] } }, { result: { data: [] } }]));
    await Promise.all([client.workPools.list.query(), client.flows.list.query()]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.get("authorization")).toBe(`Bearer ${KEY}`);
  });

  it("from BATON_API_KEY by default; the option wins; none means no header", async () => {
    vi.stubEnv("BATON_API_KEY", "baton_fromEnv");
    const fromEnv = recording();
    await fromEnv.client.workPools.list.query();
    expect(fromEnv.seen[0]!.get("authorization")).toBe("Bearer baton_fromEnv");

    const fromOption = recording({ apiKey: "baton_fromOption" });
    await fromOption.client.workPools.list.query();
    expect(fromOption.seen[0]!.get("authorization")).toBe("Bearer baton_fromOption");

    vi.stubEnv("BATON_API_KEY", "   ");
    const none = recording();
    await none.client.workPools.list.query();
    expect(none.seen[0]!.has("authorization")).toBe(false);

    // Without a key, a caller's own authorization header is left alone; with one, the key wins.
    const own = recording({ headers: { Authorization: "Bearer other" } });
    await own.client.workPools.list.query();
    expect(own.seen[0]!.get("authorization")).toBe("Bearer other");
    const both = recording({ apiKey: KEY, headers: { Authorization: "Bearer other" } });
    await both.client.workPools.list.query();
    expect(both.seen[0]!.get("authorization")).toBe(`Bearer ${KEY}`);
  });

  it("resolves the key apart from the settings that get printed", () => {
    expect(resolveApiKey(undefined, {})).toBeUndefined();
    expect(resolveApiKey(undefined, { BATON_API_KEY: ` ${KEY}\n` })).toBe(KEY);
    expect(resolveApiKey("baton_a", { BATON_API_KEY: "baton_b" })).toBe("baton_a");
    expect(resolveApiKey("", { BATON_API_KEY: "baton_b" })).toBe("baton_b");
    expect(JSON.stringify(resolveClientSettings({}, { BATON_API_KEY: KEY }))).not.toContain(KEY);
  });

  it("refuses a key that cannot be a header, naming where it came from but not the value", () => {
    const bad = "baton_half pasted\nkey";
    const fromEnv = (() => {
      try {
        resolveApiKey(undefined, { BATON_API_KEY: bad });
      } catch (e) {
        return e;
      }
    })();
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect((fromEnv as Error).message).toMatch(/BATON_API_KEY must be printable ASCII without spaces/);
    expect((fromEnv as Error).message).not.toContain("half");
    expect(() => resolveApiKey("baton_é", {})).toThrow(/the API key \(--api-key\)/);
  });
});

describe("401 and 403 say what to do, without the key", () => {
  it("no key: not signed in, and where to get one", async () => {
    vi.stubEnv("BATON_API_KEY", "");
    const { client } = recording({}, () => trpcError("UNAUTHORIZED", 401, "Sign in or send an API key"));
    const err = await failureOf(client.workPools.list.query());
    expect(describeClientError(err)).toBe(
      "Not signed in: set BATON_API_KEY or pass --api-key (create a key in the web UI under Settings → API keys or with `baton api-key create`)",
    );
    expect(describeCliError(err)).toBe(describeClientError(err));
  });

  it("a key the server refused: says it is the key", async () => {
    const { client } = recording({ apiKey: KEY }, () => trpcError("UNAUTHORIZED", 401, "API key expired"));
    const line = describeClientError(await failureOf(client.workPools.list.query()));
    expect(line).toBe(
      "Your API key was not accepted (API key expired): check BATON_API_KEY or --api-key (create a key in the web UI under Settings → API keys or with `baton api-key create`)",
    );
  });

  it("FORBIDDEN: the key may not do this, with the server's reason", async () => {
    const { client } = recording({ apiKey: KEY }, () => trpcError("FORBIDDEN", 403, "viewers cannot create work pools"));
    const err = await failureOf(client.workPools.create.mutate({ name: "gpu", type: "node" }));
    expect(describeClientError(err)).toBe("Your key may not do this: viewers cannot create work pools");
  });

  it("a 401 from something in front of the API (a proxy)", async () => {
    const { client } = recording({ apiKey: KEY }, () => new Response("<h1>401</h1>", { status: 401, headers: { "content-type": "text/html" } }));
    const line = describeClientError(await failureOf(client.workPools.list.query()));
    expect(line).toMatch(/^The server at http:\/\/baton\.test\/api refused the request \(HTTP 401, text\/html\)\. If it is Baton, check BATON_API_KEY or --api-key/);
    expect(line).not.toContain("\n");
  });

  it("never shows a key, even one the server echoes", async () => {
    const { client } = recording({ apiKey: KEY }, () => trpcError("UNAUTHORIZED", 401, `unknown key ${KEY}`));
    const err = await failureOf(client.workPools.list.query());
    for (const line of [describeClientError(err), describeCliError(err), describeCliError(new Error(`boom ${KEY}`))]) {
      expect(line).not.toContain(KEY);
    }
    expect(redactSecrets(`Bearer ${KEY}`)).toBe("Bearer baton_***");
  });
});

describe("the CLI", () => {
  let server: http.Server;
  let apiUrl = "";
  const requests: { url: string; authorization?: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push({ url: req.url ?? "", authorization: req.headers.authorization });
      const ok = req.headers.authorization === `Bearer ${KEY}`;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { result: { data: [] } } : { error: { message: `bad key ${req.headers.authorization ?? ""}`, code: -32001, data: { code: "UNAUTHORIZED", httpStatus: 401 } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends --api-key or BATON_API_KEY, and prints no key in errors or --json output", async () => {
    const env = { BATON_API_URL: apiUrl, BATON_API_KEY: undefined, BATON_WORKSPACE: undefined };
    const [flag, fromEnv, wrong, none] = await Promise.all([
      runCli(["--api-key", KEY, "work-pool", "ls", "--json"], env),
      runCli(["work-pool", "ls", "--json"], { ...env, BATON_API_KEY: KEY }),
      runCli(["--api-key", `${KEY}x`, "work-pool", "ls", "--json"], env),
      runCli(["work-pool", "ls"], env),
    ]);
    expect(flag.code, flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout)).toEqual([]);
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(requests.filter((r) => r.authorization === `Bearer ${KEY}`).length).toBeGreaterThanOrEqual(2);

    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toMatch(/^Error: Your API key was not accepted \(bad key Bearer baton_\*\*\*\): check BATON_API_KEY or --api-key/);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(
      "Error: Not signed in: set BATON_API_KEY or pass --api-key (create a key in the web UI under Settings → API keys or with `baton api-key create`)",
    );
    for (const r of [flag, fromEnv, wrong, none]) {
      expect(r.stdout + r.stderr).not.toContain(KEY);
    }
  }, 60_000);

  it("documents --api-key in its help, with the variable", async () => {
    const help = await runCli(["--help"]);
    expect(help.stdout).toMatch(/--api-key <key>[\s\S]*BATON_API_KEY/);
  }, 30_000);
});

describe("process jobs", () => {
  it("get the worker's key as BATON_API_KEY, and it is not logged", async () => {
    const logs: string[] = [];
    const rt = {
      // A first attempt: the job looks for an earlier attempt's checkpoints and finds none.
      client: { artifacts: { list: { query: async () => [] } } } as unknown as WorkerRuntime["client"],
      shipper: { log: (e: { message: string }) => logs.push(e.message), metric: () => {} } as unknown as WorkerRuntime["shipper"],
      settings: { checkout: process.cwd(), killGraceSeconds: 1 } as WorkerRuntime["settings"],
      apiUrl: "http://127.0.0.1:4200/api",
      workspace: "default",
      apiKey: KEY,
      poolType: "process",
      baseJobTemplate: {
        command: [process.execPath, "-e", `const h = require("node:crypto").createHash("sha256").update(process.env.BATON_API_KEY ?? "").digest("hex"); console.log(h === "${sha256(KEY)}" ? "key ok" : "no key")`],
        // A pool cannot put another identity on the job: the worker's key goes last.
        env: { BATON_API_KEY: "baton_fromPool" },
      },
      capabilities: {},
      workerId: () => "00000000-0000-4000-8000-000000000002",
      log: () => {},
    } satisfies WorkerRuntime;
    const run = { id: "00000000-0000-4000-8000-000000000001", name: "job", parameters: {} } as unknown as ClaimedRun;
    await runProcessJob(run, new AbortController().signal, rt);
    expect(logs).toContain("key ok");
    expect(logs.join("\n")).not.toContain(KEY);
  });

  it("a run's log line that shows the key has it blanked out", async () => {
    resolveApiKey(KEY, {});
    const sent: { message: string }[][] = [];
    const client = { logs: { create: { mutate: async (input: { logs: { message: string }[] }) => (sent.push(input.logs), { leaseLost: [] }) } } };
    const { LogShipper } = await import("../../sdk/log-shipper");
    const echoed: string[] = [];
    const shipper = new LogShipper(client as never, { echo: (l) => echoed.push(l) });
    shipper.log({ flowRunId: "r", level: 20, message: `env: BATON_API_KEY=${KEY}` });
    await shipper.flush();
    expect(JSON.stringify({ sent, echoed })).not.toContain(KEY);
    expect(echoed).toEqual(["env: BATON_API_KEY=baton_***"]);
  });
});
