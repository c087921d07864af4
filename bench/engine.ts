/**
 * Engine benchmark: Baton against graphile-worker on the same PostgreSQL, in one run.
 *
 *   npm run bench:engine            (needs PostgreSQL on 127.0.0.1:5432, as the tests do)
 *   npm run bench:engine -- --runs 10000
 *
 * Writes its figures and method to BENCHMARKS.md (between the engine markers).
 * A benchmark, not a test: it asserts nothing, it measures.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { createTRPCClient, httpLink } from "@trpc/client";
import { eq } from "drizzle-orm";
import { makeWorkerUtils, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { DEFAULT_WORKSPACE_ID as WS, flowRuns } from "../drizzle/schema";
import { handleTrpcRequest } from "../server/api/http";
import type { AppRouter } from "../server/api/root";
import { openDatabase, type Database } from "../server/db/client";
import { createFlowRun } from "../server/domain/flow-runs";
import { createFlow } from "../server/domain/flows";
import { createWorkPool } from "../server/domain/work-pools";
import { createFlowRunsBulk } from "../server/engine/bulk-create";
import { claimFlowRuns } from "../server/engine/claim";
import { loadEngineSettings } from "../server/engine/settings";
import { RunSignals } from "../server/engine/signals";
import { setRunStates } from "../server/engine/transitions";
import { claimWithWait, heartbeatWorker, registerWorker } from "../server/engine/workers";
import { writeSection } from "./report";

const ADMIN_URL = process.env.BATON_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 5000);
const LATENCY_SAMPLES = arg("samples", 200);
const IDLE_SECONDS = arg("idle-seconds", 20);
/** `--only throughput,claims` runs some parts and prints them, without writing BENCHMARKS.md. */
const ONLY = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set((process.argv[i + 1] ?? "").split(",")) : undefined;
})();

const dbUrl = (name: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function freshDatabase(name: string) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return dbUrl(name);
}

/** Transactions committed in a database so far (what the server did for its clients). */
async function transactions(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("SELECT pg_stat_force_next_flush()").catch(() => undefined);
  await c.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await c.query("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()");
  await c.end();
  return Number(rows[0].n);
}

async function batonSetup(database: Database, name: string) {
  const pool = await createWorkPool({ db: database.db, workspaceId: WS, name, type: "node" });
  const flow = await createFlow({ db: database.db, workspaceId: WS, name: `${name}-flow` });
  const [queue] = await database.db.query.workQueues.findMany({ where: (q, { eq }) => eq(q.workPoolId, pool.id) });
  return { pool, flow, queue: queue! };
}

async function createInChunks(database: Database, setup: Awaited<ReturnType<typeof batonSetup>>, n: number) {
  for (let i = 0; i < n; i += 1000) {
    await createFlowRunsBulk({
      db: database.db, workspaceId: WS, flowId: setup.flow.id, workPoolId: setup.pool.id, workQueueId: setup.queue.id,
      runs: Array.from({ length: Math.min(1000, n - i) }, () => ({})), actor: "bench",
    });
  }
}

/** W workers, each claiming up to `batch` runs at a time (straight to RUNNING) and completing them. */
async function drainWithWorkers(database: Database, poolId: string, workers: number, batch: number, complete: boolean) {
  const ids = await Promise.all(
    Array.from({ length: workers }, (_, i) => registerWorker({ db: database.db, workspaceId: WS, workPoolId: poolId, name: `bench-${poolId.slice(0, 8)}-${i}-${Date.now()}`, capabilities: {} })),
  );
  let done = 0;
  await Promise.all(
    ids.map(async (w) => {
      for (;;) {
        const runs = await claimFlowRuns({ db: database.db, workspaceId: WS, workPoolId: poolId, workerId: w.id, max: batch, capabilities: {}, start: true, actor: "worker:bench", workerTimeoutMs: 86_400_000 /* these workers never heartbeat */ });
        if (runs.length === 0) return;
        if (complete) {
          // A worker reports the states of the runs it finished together, in one statement.
          const results = await setRunStates({
            db: database.db, workspaceId: WS, kind: "flow", actor: "worker:bench",
            changes: runs.map((r) => ({ runId: r.id, to: { type: "COMPLETED" as const }, leaseToken: r.leaseToken! })),
          });
          const refused = results.find((r) => !r.ok);
          if (refused && !refused.ok) throw refused.error;
        }
        done += runs.length;
      }
    }),
  );
  return done;
}

async function throughput() {
  console.log(`\n▶ throughput: ${RUNS} no-op runs created, claimed and completed`);
  const batonUrl = await freshDatabase("bench_baton");
  const database = await openDatabase({ driver: "pg", url: batonUrl });
  await database.migrate();
  const setup = await batonSetup(database, "throughput");
  let t0 = performance.now();
  await createInChunks(database, setup, RUNS);
  const batonCreate = performance.now() - t0;
  const t1 = performance.now();
  const processed = await drainWithWorkers(database, setup.pool.id, 4, 16, true);
  const batonProcess = performance.now() - t1;
  const completed = await database.db.$count(flowRuns, eq(flowRuns.stateType, "COMPLETED"));
  const history = await database.db.$count((await import("../drizzle/schema")).stateHistory);
  await database.close();
  if (processed !== RUNS || completed !== RUNS) throw new Error(`Baton processed ${processed}, completed ${completed} of ${RUNS}`);

  const graphileUrl = await freshDatabase("bench_graphile");
  const utils = await makeWorkerUtils({ connectionString: graphileUrl });
  await utils.migrate();
  t0 = performance.now();
  for (let i = 0; i < RUNS; i += 1000) {
    await utils.addJobs(Array.from({ length: Math.min(1000, RUNS - i) }, () => ({ identifier: "noop", payload: {} })));
  }
  const graphileCreate = performance.now() - t0;
  let graphileDone = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (finished = r));
  const t2 = performance.now();
  const runner = await runGraphile({
    connectionString: graphileUrl,
    concurrency: 16,
    noHandleSignals: true,
    pollInterval: 2000,
    taskList: {
      noop: async () => {
        if (++graphileDone === RUNS) finished();
      },
    },
    logger: undefined,
  });
  await allDone;
  // graphile-worker completes jobs in batches; wait until its table is empty.
  const c = new pg.Client({ connectionString: graphileUrl });
  await c.connect();
  while (Number((await c.query("SELECT count(*) AS n FROM graphile_worker._private_jobs")).rows[0].n) > 0) await sleep(5);
  const graphileProcess = performance.now() - t2;
  await c.end();
  await runner.stop();
  await utils.release();

  const baton = { create: batonCreate, process: batonProcess, total: batonCreate + batonProcess };
  const graphile = { create: graphileCreate, process: graphileProcess, total: graphileCreate + graphileProcess };
  const rate = (ms: number) => (RUNS / ms) * 1000;
  console.log(`  Baton:          create ${fmt(rate(baton.create))}/s, claim+complete ${fmt(rate(baton.process))}/s, end to end ${fmt(rate(baton.total))}/s (${history} state-history rows)`);
  console.log(`  graphile-worker: create ${fmt(rate(graphile.create))}/s, run+complete ${fmt(rate(graphile.process))}/s, end to end ${fmt(rate(graphile.total))}/s`);
  return { baton, graphile, rate, history };
}

async function latency() {
  console.log(`\n▶ created-to-RUNNING latency for an idle long-polling worker (${LATENCY_SAMPLES} samples each)`);
  const url = await freshDatabase("bench_baton");
  const database = await openDatabase({ driver: "pg", url });
  await database.migrate();
  const signals = new RunSignals();
  await signals.start(database);
  const settings = loadEngineSettings({});
  const setup = await batonSetup(database, "latency");
  const worker = await registerWorker({ db: database.db, workspaceId: WS, workPoolId: setup.pool.id, name: "idle", capabilities: {} });

  const measure = async (claimOnce: () => Promise<unknown[]>) => {
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES + 10; i++) {
      const claiming = claimOnce();
      while (signals.waiting(setup.pool.id) === 0) await sleep(1);
      const t0 = performance.now();
      await createFlowRun({ db: database.db, workspaceId: WS, flowId: setup.flow.id, workPoolId: setup.pool.id, workQueueId: setup.queue.id, actor: "bench" });
      const got = await claiming;
      if (got.length !== 1) throw new Error("claim returned nothing");
      if (i >= 10) samples.push(performance.now() - t0); // the first few warm up connections
    }
    return samples;
  };
  const direct = await measure(() =>
    claimWithWait({ db: database.db, workspaceId: WS, workPoolId: setup.pool.id, workerId: worker.id, max: 1, capabilities: {}, start: true, actor: "worker:idle", waitMs: 30_000, signals, fallbackPollMs: settings.claimFallbackPollMs, workerTimeoutMs: settings.workerTimeoutMs }),
  );

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const response = await handleTrpcRequest(
      new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined }),
      () => database.db,
      () => ({ settings, signals }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `http://127.0.0.1:${port}/api/trpc` })] });
  const overHttp = await measure(() => client.workers.claim.mutate({ workerId: worker.id, waitMs: 30_000, start: true }));
  server.close();
  await signals.stop();
  await database.close();
  const summary = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99) });
  const result = { direct: summary(direct), http: summary(overHttp) };
  console.log(`  direct:    p50 ${fmt(result.direct.p50, 1)} ms, p99 ${fmt(result.direct.p99, 1)} ms`);
  console.log(`  over HTTP: p50 ${fmt(result.http.p50, 1)} ms, p99 ${fmt(result.http.p99, 1)} ms`);
  return result;
}

async function claimThroughput() {
  console.log("\n▶ claim throughput (runs claimed per second, batches of 10, straight to RUNNING)");
  const n = Math.min(RUNS, 3000);
  const results: { driver: string; workers: number; rate: number }[] = [];
  for (const driver of ["pg", "pglite"] as const) {
    for (const workers of [1, 4, 16]) {
      const database =
        driver === "pg"
          ? await openDatabase({ driver, url: await freshDatabase("bench_baton") })
          : await openDatabase({ driver, dataDir: "memory://" });
      await database.migrate();
      const setup = await batonSetup(database, `claims-${workers}`);
      await createInChunks(database, setup, n);
      const t0 = performance.now();
      const claimed = await drainWithWorkers(database, setup.pool.id, workers, 10, false);
      const rate = (claimed / (performance.now() - t0)) * 1000;
      await database.close();
      results.push({ driver, workers, rate });
      console.log(`  ${driver === "pg" ? "PostgreSQL" : "PGlite"}, ${workers} worker${workers > 1 ? "s" : ""}: ${fmt(rate)} runs/s`);
    }
  }
  return results;
}

async function idleLoad() {
  console.log(`\n▶ database work at idle: 16 workers, nothing queued, ${IDLE_SECONDS} s`);
  const url = await freshDatabase("bench_baton");
  const database = await openDatabase({ driver: "pg", url });
  await database.migrate();
  const signals = new RunSignals();
  await signals.start(database);
  const settings = loadEngineSettings({});
  const setup = await batonSetup(database, "idle");
  const workers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => registerWorker({ db: database.db, workspaceId: WS, workPoolId: setup.pool.id, name: `idle-${i}`, capabilities: {} })),
  );
  let stop = false;
  const loops = workers.map(async (w) => {
    let nextBeat = Date.now();
    while (!stop) {
      if (Date.now() >= nextBeat) {
        await heartbeatWorker({ db: database.db, workspaceId: WS, workerId: w.id, runs: [] });
        nextBeat = Date.now() + settings.heartbeatIntervalMs;
      }
      await claimWithWait({ db: database.db, workspaceId: WS, workPoolId: setup.pool.id, workerId: w.id, max: 1, capabilities: {}, actor: "idle", signals, fallbackPollMs: settings.claimFallbackPollMs, workerTimeoutMs: settings.workerTimeoutMs, waitMs: Math.min(30_000, Math.max(0, nextBeat - Date.now())) });
    }
  });
  await sleep(1000);
  const before = await transactions(url);
  await sleep(IDLE_SECONDS * 1000);
  const after = await transactions(url);
  stop = true;
  await signals.stop(); // wakes the waiting claims
  await Promise.all(loops);
  await database.close();
  const baton = (after - before - 2) / IDLE_SECONDS / 16; // less the two stat reads

  const graphileUrl = await freshDatabase("bench_graphile");
  const utils = await makeWorkerUtils({ connectionString: graphileUrl });
  await utils.migrate();
  await utils.release();
  const runners = await Promise.all(
    Array.from({ length: 16 }, () => runGraphile({ connectionString: graphileUrl, concurrency: 1, noHandleSignals: true, taskList: { noop: async () => undefined } })),
  );
  await sleep(1000);
  const gBefore = await transactions(graphileUrl);
  await sleep(IDLE_SECONDS * 1000);
  const gAfter = await transactions(graphileUrl);
  await Promise.all(runners.map((r) => r.stop()));
  const graphile = (gAfter - gBefore - 2) / IDLE_SECONDS / 16;
  console.log(`  Baton:           ${fmt(baton, 2)} transactions/s per idle worker (heartbeat every ${settings.heartbeatIntervalMs / 1000} s, long poll, re-check every ${settings.claimFallbackPollMs / 1000} s)`);
  console.log(`  graphile-worker: ${fmt(graphile, 2)} transactions/s per idle worker (default pollInterval 2 s, LISTEN/NOTIFY)`);
  return { baton, graphile };
}

async function main() {
  console.log(`Baton engine benchmark — ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
  const pgVersion = await (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    const { rows } = await c.query("SHOW server_version");
    await c.end();
    return rows[0].server_version as string;
  })();
  if (ONLY) {
    if (ONLY.has("throughput")) await throughput();
    if (ONLY.has("latency")) await latency();
    if (ONLY.has("claims")) await claimThroughput();
    if (ONLY.has("idle")) await idleLoad();
    return;
  }
  const t = await throughput();
  const l = await latency();
  const c = await claimThroughput();
  const i = await idleLoad();
  const ratio = t.rate(t.baton.total) / t.rate(t.graphile.total);
  console.log(`\nBaton / graphile-worker end to end: ${fmt(ratio, 2)}x`);

  const row = (name: string, v: { create: number; process: number; total: number }) =>
    `| ${name} | ${fmt(t.rate(v.create))} | ${fmt(t.rate(v.process))} | ${fmt(t.rate(v.total))} |`;
  writeSection(
    "engine",
    `## Internal: the in-process engine against graphile-worker

Not the user's path (that is \`npm run bench:e2e\`, the first section): these call the engine's functions in one process — no HTTP, no worker process, no flow code, reports batched — a path no worker takes. They show what the engine's SQL can do.

Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:engine\` on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"}), Node ${process.version}, PostgreSQL ${pgVersion} on the same machine, both systems in one run against fresh databases on the same server.

### Throughput: ${fmt(RUNS)} no-op runs created, claimed and taken to COMPLETED

| system | created/s | claimed and completed/s | end to end/s |
| --- | ---: | ---: | ---: |
${row("Baton", t.baton)}
${row("graphile-worker 0.17", t.graphile)}

**Baton / graphile-worker, end to end: ${fmt(ratio, 2)}x** — while Baton also records every transition in state history (${fmt(t.history)} rows: Scheduled, Running, Completed for each run).

Method: Baton creates runs with \`createFlowRunsBulk\` (1,000 per statement) and drains them with 4 in-process workers, each claiming up to 16 runs per call straight to RUNNING (one \`baton_claim_flow_runs\` call) and reporting their completion with their lease tokens in one statement per batch (\`setRunStates\`, state history included). graphile-worker adds jobs with \`addJobs\` (1,000 per call) and runs them with \`concurrency: 16\` and its defaults otherwise; its time ends when its jobs table is empty.

### Created-to-RUNNING latency, idle long-polling worker

| path | p50 | p99 |
| --- | ---: | ---: |
| direct (in-process engine call) | ${fmt(l.direct.p50, 1)} ms | ${fmt(l.direct.p99, 1)} ms |
| over HTTP (tRPC \`workers.claim\` with \`waitMs\`, through the same fetch handler the Next.js route uses, behind node:http) | ${fmt(l.http.p50, 1)} ms | ${fmt(l.http.p99, 1)} ms |

Method: one worker waits in a claim; the run is created (one transaction, as \`flowRuns.create\` does); the time is from just before the create until the claim returns the run in RUNNING. ${LATENCY_SAMPLES} samples each, after 10 warm-up ones. The wake-up is Postgres NOTIFY from a statement trigger, delivered to the server's LISTEN connection. For comparison, Prefect's worker polls every 10 s by default.

### Claim throughput

| database | 1 worker | 4 workers | 16 workers |
| --- | ---: | ---: | ---: |
| PostgreSQL | ${c.filter((x) => x.driver === "pg").map((x) => `${fmt(x.rate)}/s`).join(" | ")} |
| PGlite (embedded) | ${c.filter((x) => x.driver === "pglite").map((x) => `${fmt(x.rate)}/s`).join(" | ")} |

Method: ${fmt(Math.min(RUNS, 3000))} due runs; each worker claims batches of 10 straight to RUNNING until none are left. PGlite is one in-process connection, so more workers cannot add parallelism there.

### Database work at idle

| system | transactions per second per idle worker |
| --- | ---: |
| Baton | ${fmt(i.baton, 2)} |
| graphile-worker | ${fmt(i.graphile, 2)} |

Method: 16 workers, nothing queued, ${IDLE_SECONDS} s; transactions counted from \`pg_stat_database\` for the database. Baton workers heartbeat every 10 s and hold a long-polling claim that re-checks at most every 10 s (woken at once by NOTIFY when work arrives). A 50 ms polling loop, as in Windmill's workers, would be 20 queries per second per worker.
`,
  );
  console.log("\nWrote BENCHMARKS.md (engine section).");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
