/**
 * Nothing a caller sends may stall the server for everyone else. Measured before the limits: one
 * 150-byte deployments.run against a `^(a+)+$` parameter pattern froze the process for 41.5 s;
 * 50 MB of `[` stalled /api/health for 7.6 s.
 *
 * Here /api/health is polled every 20 ms over real HTTP, first alone (the baseline), then while
 * those requests arrive; its worst latency during the attack must stay within 100 ms of the
 * baseline's worst. A loaded machine can add a pause of its own, so a failing comparison is
 * measured again (three tries); a real stall fails every one of them.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestApi } from "../helpers/api";
import { startGuardedServer, type GuardedServer } from "../helpers/guarded-server";

const POLL_MS = 20;
const ALLOWED_GROWTH_MS = 100;

/** Polls /api/health every POLL_MS while `during` runs (or for `ms`), returning each latency. */
async function pollHealth(port: number, opts: { ms?: number; during?: () => Promise<unknown> }): Promise<number[]> {
  const latencies: number[] = [];
  let stop = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      http
        .get({ host: "127.0.0.1", port, path: "/api/health", agent }, (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - started);
            if (res.statusCode !== 200) reject(new Error(`health answered ${res.statusCode}`));
            else resolve();
          });
        })
        .on("error", reject);
    });
  const poller = (async () => {
    while (!stop) {
      const next = performance.now() + POLL_MS;
      await one();
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
  if (opts.during) await opts.during();
  else await new Promise((r) => setTimeout(r, opts.ms));
  stop = true;
  await poller;
  agent.destroy();
  return latencies;
}

interface Sent {
  status: number;
  body: string;
  ms: number;
}

/** A raw POST; the server may answer and close before the body is all sent. */
function post(port: number, path: string, opts: { headers?: Record<string, string>; body: Buffer | string; chunked?: number }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path, headers: { "content-type": "application/json", ...opts.headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    const data = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
    if (!opts.chunked) {
      req.end(data);
      return;
    }
    void (async () => {
      for (let i = 0; i < data.length && !req.destroyed; i += opts.chunked!) {
        if (!req.write(data.subarray(i, i + opts.chunked!))) {
          await new Promise<void>((resolve) => {
            const done = () => {
              req.off("drain", done).off("close", done);
              resolve();
            };
            req.on("drain", done).on("close", done);
          });
        }
      }
      req.end();
    })();
  });
}

const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe("no request stalls the server", () => {
  const api = useTestApi();
  let server: GuardedServer;

  beforeAll(async () => {
    server = await startGuardedServer(() => api.db);
    await api.client().deployments.create.mutate({
      flow: "stall",
      name: "stall",
      parameterSchema: { type: "object", properties: { a: { type: "string", pattern: "^(a+)+$" } } },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("keeps /api/health within 100 ms of its baseline during a catastrophic pattern and 50 MB of [", async () => {
    // 150 bytes: a backtracking engine takes longer than the universe has existed.
    const catastrophic = JSON.stringify({ deployment: "stall", parameters: { a: `${"a".repeat(120)}!` } });
    const brackets = Buffer.alloc(50 * 1024 * 1024, "[");
    const results: Record<string, Sent[]> = { regex: [], declared: [], chunked: [] };
    const attack = async () => {
      const started = performance.now();
      while (performance.now() - started < 1_500) {
        const [regex, declared, chunked] = await Promise.all([
          post(server.port, "/api/trpc/deployments.run", { body: catastrophic }),
          // With Content-Length: refused before it is read.
          post(server.port, "/api/trpc/flows.create", { body: brackets }),
          // Without (chunked): refused after its first bytes.
          post(server.port, "/api/trpc/flows.create", { body: brackets, chunked: 64 * 1024 }),
        ]);
        results.regex!.push(regex);
        results.declared!.push(declared);
        results.chunked!.push(chunked);
      }
    };

    let report = "";
    let ok = false;
    for (let attempt = 1; attempt <= 3 && !ok; attempt++) {
      const baseline = await pollHealth(server.port, { ms: 1_000 });
      const during = await pollHealth(server.port, { during: attack });
      report =
        `try ${attempt}: health baseline median ${median(baseline).toFixed(1)} ms, max ${max(baseline).toFixed(1)} ms (${baseline.length} polls); ` +
        `during the attack median ${median(during).toFixed(1)} ms, max ${max(during).toFixed(1)} ms (${during.length} polls); ` +
        `${results.regex!.length} rounds, slowest refusal ${max(Object.values(results).flat().map((r) => r.ms)).toFixed(0)} ms`;
      console.log(report);
      ok = max(during) <= max(baseline) + ALLOWED_GROWTH_MS;
    }
    expect(ok, report).toBe(true);

    // And each attack was answered, as a client error that says why.
    expect(results.regex!.every((r) => r.status === 400 && r.body.includes('parameters.a: must match pattern \\"^(a+)+$\\"'))).toBe(true);
    expect(results.declared!.every((r) => r.status === 413 && r.body.includes("BATON_MAX_BODY_BYTES"))).toBe(true);
    expect(results.chunked!.every((r) => r.status === 400 && r.body.includes("must not be nested deeper than 64 levels"))).toBe(true);
  });
});
