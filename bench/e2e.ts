/**
 * The user's path, end to end: a real `baton server start` (on PostgreSQL, then on PGlite), real
 * `baton worker start` processes, runs of a one-task TypeScript flow made with `deployments.run`
 * through the typed client and timed until COMPLETED — against graphile-worker doing the same
 * number of jobs on the same PostgreSQL server, in the same run.
 *
 *   npm run bench:e2e                       (needs PostgreSQL on 127.0.0.1:5432, as the tests do)
 *   npm run bench:e2e -- --runs 200 --no-write
 *   npm run bench:e2e -- --only pg,graphile  (prints, does not write BENCHMARKS.md)
 *
 * Writes its figures and method to BENCHMARKS.md (the e2e section, first). A benchmark, not a
 * test: it asserts nothing beyond every run completing; it measures.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import pg from "pg";
import { createBatonClient, type BatonClient } from "../server/client";
import { ensureProductionBuild, ROOT, startBaton, type BatonProcess } from "../e2e/helpers/baton-process";
import { admin, dbUrl, fmt, load, pct } from "./common";
import { writeSection } from "./report";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 1000);
const CALLERS = arg("callers", 16);
const WORKERS = arg("workers", 1);
const LIMIT = arg("limit", 16);
const LATENCY_SAMPLES = arg("samples", 50);
const TRIVIAL_CALLS = arg("calls", 500);
const COUNTED_RUNS = Math.min(RUNS, arg("counted-runs", 200));
const ONLY = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set((process.argv[i + 1] ?? "").split(",")) : undefined;
})();
const WRITE = !ONLY && !process.argv.includes("--no-write");

const ENTRYPOINT = "bench/fixtures/one-task.ts:oneTask";
const FLOW_NAME = "bench-one-task";
const DEPLOYMENT = `${FLOW_NAME}/e2e`;
const POOL = "node";
const TERMINAL_BAD = ["FAILED", "CRASHED", "CANCELLED"] as const;
const NOT_DONE = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function freshDatabase(name: string) {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return dbUrl(name);
}
const dropDatabase = (name: string) => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere or once it is gone). */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}
/** The pid of the process whose command line holds all of `parts` (e.g. the server by its port). */
function findPid(parts: string[]): number | undefined {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (parts.every((p) => cmd.includes(p))) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return undefined;
}
/** PostgreSQL backends serving a database, but the asking connection. */
async function backends(c: pg.Client): Promise<number[]> {
  const { rows } = await c.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
  return rows.map((r: { pid: number }) => r.pid);
}
/** CPU seconds each group of processes used between two calls; backends that came and went in between are missed. */
function cpuMeter(groups: Record<string, number[]>) {
  const start = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids) start.set(pid, cpuSeconds(pid));
  const self = process.cpuUsage();
  return (more: Record<string, number[]> = {}) => {
    const out: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      const all = new Set([...pids, ...(more[name] ?? [])]);
      out[name] = [...all].reduce((sum, pid) => {
        const now = cpuSeconds(pid);
        return Number.isNaN(now) ? sum : sum + now - (start.get(pid) ?? 0);
      }, 0);
    }
    const used = process.cpuUsage(self);
    out.benchmark = (used.user + used.system) / 1e6;
    return out;
  };
}
const cpuText = (cpu: Record<string, number>, seconds: number) =>
  Object.entries(cpu)
    .map(([name, s]) => `${name} ${fmt(s, 1)} s (${fmt((s / seconds) * 100)} % of one core)`)
    .join(", ");

/** 16 (--callers) callers, each its own typed client, each making runs one after another until `n` are made. */
async function createRuns(clients: BatonClient[], n: number, tags: string[]): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < n) {
        next++;
        const run = await c.deployments.run.mutate({ deployment: DEPLOYMENT, tags });
        ids.push(run.id);
      }
    }),
  );
  return ids;
}

// ── Baton processes ────────────────────────────────────────────────────────────────────────────

interface Worker {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function startWorker(apiUrl: string, name: string): Worker {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", BATON_API_URL: apiUrl };
  for (const k of ["DATABASE_URL", "BATON_API_KEY", "BATON_WORKSPACE", "BATON_WORKER_CLAIM_WAIT_MS"]) delete env[k];
  const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", POOL, "--limit", String(LIMIT), "--name", name], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: string) => (out = (out + d).slice(-20_000)); // it prints two lines a run
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return { child, output: () => out, exited };
}

async function waitForWorker(w: Worker) {
  const deadline = Date.now() + 60_000;
  while (!/polling pool/.test(w.output())) {
    if (w.child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${w.output()}`);
    await sleep(50);
  }
}

/** SIGTERM (the worker drains), then SIGKILL to the group if it lingers. */
async function stopWorker(w: Worker) {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-w.child.pid!, s);
    } catch {
      /* gone */
    }
  };
  if (w.child.exitCode === null && w.child.signalCode === null) {
    signal("SIGTERM");
    await Promise.race([w.exited, sleep(15_000)]);
  }
  signal("SIGKILL");
  await w.exited;
}

/** Requests and tRPC procedure calls passing through, by procedure: what a worker asks of the server. */
async function countingProxy(target: string) {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const state = { counting: false, requests: 0, calls: new Map<string, number>() };
  const server = http.createServer((req, res) => {
    if (state.counting) {
      state.requests++;
      const m = /\/api\/trpc\/([^?]+)/.exec(req.url ?? "");
      for (const p of m ? decodeURIComponent(m[1]!).split(",") : [(req.url ?? "").split("?")[0]!]) state.calls.set(p, (state.calls.get(p) ?? 0) + 1);
    }
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host }, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.statusCode = 502;
      res.end();
    });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    state,
    close: () => {
      server.closeAllConnections();
      agent.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Transactions and row writes in a database so far, from the statistics views (read after a pause, so the server's backends have flushed). */
async function dbStats(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await sleep(2_500);
  await c.query("SELECT pg_stat_clear_snapshot()");
  const db = (await c.query("SELECT xact_commit + xact_rollback AS x FROM pg_stat_database WHERE datname = current_database()")).rows[0];
  const tables = (await c.query("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS w FROM pg_stat_user_tables")).rows as { relname: string; w: string }[];
  await c.end();
  return { xacts: Number(db.x), writes: new Map(tables.map((r) => [r.relname, Number(r.w)])) };
}

// ── one Baton server, all its measurements ─────────────────────────────────────────────────────

interface BatonRow {
  label: string;
  driver: "pg" | "pglite";
  create: number;
  total: number;
  loadBefore: string;
  loadAfter: string;
  watch: string;
  latency: { p50: number; p99: number; serverP50: number; serverP99: number; watch: string };
  trivial: { p50: number; p99: number };
  perRun?: { xacts: number; writes: number; byTable: [string, number][] };
  cpu: Record<string, number>;
  calls?: { runs: number; requests: number; byProcedure: [string, number][] };
}

async function benchBaton(driver: "pg" | "pglite"): Promise<BatonRow> {
  const label = driver === "pg" ? "PostgreSQL" : "PGlite";
  console.log(`\n▶ Baton on ${label}: ${fmt(RUNS)} runs from ${CALLERS} callers, ${WORKERS} worker(s) × ${LIMIT} slots (load ${load()})`);
  const dbName = `bench_e2e_baton_${process.pid}`;
  const pgUrl = driver === "pg" ? await freshDatabase(dbName) : undefined;
  let server: BatonProcess | undefined;
  const workers: Worker[] = [];
  let watcher: pg.Client | undefined;
  try {
    const t0 = performance.now();
    server = await startBaton({ env: pgUrl ? { DATABASE_URL: pgUrl } : {} });
    console.log(`  server up in ${fmt((performance.now() - t0) / 1000, 1)} s at ${server.url}`);
    const api = createBatonClient({ apiUrl: server.apiUrl, batch: false });
    await api.workPools.create.mutate({ name: POOL, type: "node" });
    const deployment = await api.deployments.create.mutate({ flow: FLOW_NAME, name: "e2e", entrypoint: ENTRYPOINT, workPool: POOL });
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(server.apiUrl, `e2e-${driver}-${i}`));
    await Promise.all(workers.map(waitForWorker));

    if (pgUrl) {
      watcher = new pg.Client({ connectionString: pgUrl });
      await watcher.connect();
    }
    let watcherQueries = 0;
    const countPg = async (tag: string) => {
      watcherQueries++;
      const { rows } = await watcher!.query(
        `SELECT count(*) FILTER (WHERE state_type = 'COMPLETED')::int AS ok, count(*) FILTER (WHERE state_type = ANY($2::state_type[]))::int AS bad
           FROM flow_runs WHERE deployment_id = $1 AND $3 = ANY(tags)`,
        [deployment.id, TERMINAL_BAD, tag],
      );
      return rows[0] as { ok: number; bad: number };
    };
    /** Waits until all `n` runs tagged `tag` are COMPLETED; returns when that was seen. */
    const untilCompleted = async (tag: string, n: number, creating: Promise<unknown>) => {
      if (watcher) {
        // PostgreSQL: a direct count every 10 ms.
        for (;;) {
          const { ok, bad } = await countPg(tag);
          if (bad > 0) throw new Error(`${bad} runs ended FAILED/CRASHED/CANCELLED:\n${workers[0]!.output().slice(-3000)}`);
          if (ok >= n) return performance.now();
          await sleep(10);
        }
      }
      // PGlite is inside the server: ask the API whether any run is left unfinished, every 20 ms.
      await creating;
      for (;;) {
        const left = await api.flowRuns.list.query({ deployment: DEPLOYMENT, tags: [tag], states: [...NOT_DONE], limit: 1 });
        if (left.items.length === 0) break;
        await sleep(20);
      }
      const seen = performance.now();
      let completed = 0;
      let cursor: string | null | undefined;
      do {
        const page = await api.flowRuns.list.query({ deployment: DEPLOYMENT, tags: [tag], states: ["COMPLETED"], limit: 500, cursor });
        completed += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      if (completed !== n) throw new Error(`${n - completed} of ${n} runs did not complete:\n${workers[0]!.output().slice(-3000)}`);
      return seen;
    };

    // Warm-up, not timed: the worker loads the flow module, connections open.
    const callers = Array.from({ length: CALLERS }, () => createBatonClient({ apiUrl: server!.apiUrl }));
    const warm = createRuns(callers, CALLERS, ["warmup"]);
    await untilCompleted("warmup", CALLERS, warm);
    await warm;

    // Throughput.
    const before = pgUrl ? await dbStats(pgUrl) : undefined;
    const loadBefore = load();
    watcherQueries = 0;
    const serverPid = findPid(["server", "start", "--port", new URL(server.url).port]);
    const groups: Record<string, number[]> = { server: serverPid ? [serverPid] : [], workers: workers.map((w) => w.child.pid!) };
    if (watcher) groups.postgres = await backends(watcher);
    const meter = cpuMeter(groups);
    const start = performance.now();
    let createdAt = 0;
    const creating = createRuns(callers, RUNS, ["throughput"]).then(() => (createdAt = performance.now()));
    const doneAt = await untilCompleted("throughput", RUNS, creating);
    await creating;
    const cpu = meter(watcher ? { postgres: await backends(watcher) } : {});
    const loadAfter = load();
    const create = createdAt - start;
    const total = doneAt - start;
    const polls = watcherQueries;
    let perRun: BatonRow["perRun"];
    if (pgUrl && before) {
      const after = await dbStats(pgUrl);
      const byTable = [...after.writes].map(([t, w]) => [t, (w - (before.writes.get(t) ?? 0)) / RUNS] as [string, number]).filter(([, w]) => w >= 0.05).sort((a, b) => b[1] - a[1]);
      // Less our own count queries (one transaction each) and the stats reads.
      perRun = { xacts: (after.xacts - before.xacts - polls - 4) / RUNS, writes: byTable.reduce((s, [, w]) => s + w, 0), byTable };
    }
    console.log(`  ${fmt(RUNS)} runs: created in ${fmt(create / 1000, 2)} s (${fmt((RUNS / create) * 1000)}/s), all COMPLETED after ${fmt(total / 1000, 2)} s: ${fmt((RUNS / total) * 1000, 1)} runs/s (load ${loadBefore} → ${loadAfter})`);
    console.log(`  CPU over those ${fmt(total / 1000, 1)} s: ${cpuText(cpu, total / 1000)}`);
    if (perRun) console.log(`  per run: ${fmt(perRun.xacts, 1)} transactions, ${fmt(perRun.writes, 1)} row writes (${perRun.byTable.map(([t, w]) => `${t} ${fmt(w, 1)}`).join(", ")})`);

    // Click → COMPLETED on an idle worker.
    await sleep(1_000);
    const one = createBatonClient({ apiUrl: server.apiUrl });
    const seen: number[] = [];
    const serverSide: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES + 3; i++) {
      await sleep(100); // the worker is back in its long poll
      const t = performance.now();
      const run = await one.deployments.run.mutate({ deployment: DEPLOYMENT, tags: ["latency"] });
      let elapsed: number;
      if (watcher) {
        // PostgreSQL: a direct query of the run's state every 1 ms.
        for (;;) {
          const { rows } = await watcher.query("SELECT state_type FROM flow_runs WHERE id = $1", [run.id]);
          if (rows[0]?.state_type === "COMPLETED") break;
          if (TERMINAL_BAD.includes(rows[0]?.state_type)) throw new Error(`latency run ended ${rows[0].state_type}`);
          await sleep(1);
        }
        elapsed = performance.now() - t;
      } else {
        // PGlite: flowRuns.get over HTTP, one after another (each ~2 ms).
        for (;;) {
          const r = await api.flowRuns.get.query({ id: run.id });
          if (r.stateType === "COMPLETED") break;
          if ((TERMINAL_BAD as readonly string[]).includes(r.stateType)) throw new Error(`latency run ended ${r.stateType}`);
          await sleep(1);
        }
        elapsed = performance.now() - t;
      }
      const r = await api.flowRuns.get.query({ id: run.id });
      if (i >= 3) {
        seen.push(elapsed);
        serverSide.push(new Date(r.endTime!).getTime() - new Date(r.createdAt).getTime());
      }
    }
    const latency = {
      p50: pct(seen, 50),
      p99: pct(seen, 99),
      serverP50: pct(serverSide, 50),
      serverP99: pct(serverSide, 99),
      watch: watcher ? "a direct PostgreSQL query of the run's state every 1 ms" : "`flowRuns.get` over HTTP in a loop (1 ms apart)",
    };
    console.log(`  click → COMPLETED: p50 ${fmt(latency.p50, 1)} ms, p99 ${fmt(latency.p99, 1)} ms (server's created → end time: p50 ${fmt(latency.serverP50)} ms, p99 ${fmt(latency.serverP99)} ms)`);

    // A trivial query, sequential.
    const plain = createBatonClient({ apiUrl: server.apiUrl, batch: false });
    const times: number[] = [];
    for (let i = 0; i < TRIVIAL_CALLS + 50; i++) {
      const t = performance.now();
      await plain.workPools.list.query();
      if (i >= 50) times.push(performance.now() - t);
    }
    const trivial = { p50: pct(times, 50), p99: pct(times, 99) };
    console.log(`  workPools.list over HTTP: p50 ${fmt(trivial.p50, 2)} ms, p99 ${fmt(trivial.p99, 2)} ms`);

    // What a worker asks of the server per run: the workers are replaced by one behind a counting proxy (not timed).
    let calls: BatonRow["calls"];
    if (driver === "pg") {
      await Promise.all(workers.splice(0).map(stopWorker));
      const proxy = await countingProxy(server.url);
      try {
        const counted = startWorker(proxy.apiUrl, `e2e-counted`);
        workers.push(counted);
        await waitForWorker(counted);
        await sleep(200);
        proxy.state.counting = true;
        const making = createRuns(callers, COUNTED_RUNS, ["counted"]);
        await untilCompleted("counted", COUNTED_RUNS, making);
        await making;
        proxy.state.counting = false;
        const byProcedure = [...proxy.state.calls].map(([p, n]) => [p, n / COUNTED_RUNS] as [string, number]).sort((a, b) => b[1] - a[1]);
        calls = { runs: COUNTED_RUNS, requests: proxy.state.requests / COUNTED_RUNS, byProcedure };
        console.log(`  worker → server per run (${COUNTED_RUNS} runs through a counting proxy): ${fmt(calls.requests, 2)} HTTP requests (${byProcedure.map(([p, n]) => `${p} ${fmt(n, 2)}`).join(", ")}), plus the caller's deployments.run`);
      } finally {
        await Promise.all(workers.splice(0).map(stopWorker));
        await proxy.close();
      }
    }

    return {
      label,
      driver,
      create,
      total,
      loadBefore,
      loadAfter,
      watch: watcher ? "a direct PostgreSQL count of the runs' COMPLETED rows every 10 ms" : "`flowRuns.list` over HTTP every 20 ms for any run of the batch not yet finished, then the COMPLETED ones counted through the API",
      latency,
      trivial,
      perRun,
      calls,
      cpu,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await watcher?.end().catch(() => undefined);
    await server?.stop();
    if (pgUrl) await dropDatabase(dbName);
  }
}

// ── graphile-worker, same PostgreSQL server ────────────────────────────────────────────────────

interface GraphileRow {
  total: number;
  cpu: Record<string, number>;
  latency: { p50: number; p99: number };
  loadBefore: string;
  loadAfter: string;
}

async function benchGraphile(): Promise<GraphileRow> {
  console.log(`\n▶ graphile-worker: ${fmt(RUNS)} jobs from ${CALLERS} callers, concurrency 16 (load ${load()})`);
  const dbName = `bench_e2e_graphile_${process.pid}`;
  const url = await freshDatabase(dbName);
  const silent = new Logger(() => () => undefined);
  // One pool we own for graphile-worker's runner and utils: ended before the database is dropped,
  // and an idle connection the drop terminates is not an unhandled 'error' that kills the run.
  const pool = new pg.Pool({ connectionString: url, max: 24 });
  pool.on("error", () => undefined);
  const utils = await makeWorkerUtils({ pgPool: pool, logger: silent });
  let runner: Awaited<ReturnType<typeof runGraphile>> | undefined;
  const watcher = new pg.Client({ connectionString: url });
  try {
    await utils.migrate();
    let done = 0;
    let target = Number.POSITIVE_INFINITY;
    let reached: () => void = () => undefined;
    const until = (n: number) => {
      done = 0;
      target = n;
      return new Promise<void>((r) => (reached = r));
    };
    runner = await runGraphile({
      pgPool: pool,
      concurrency: 16,
      noHandleSignals: true,
      logger: silent,
      taskList: {
        trivial: async (payload) => {
          const n = (payload as { n: number }).n;
          if (++done === target) reached();
          return void (n + 1);
        },
      },
    });
    await watcher.connect();
    const empty = async () => {
      while (Number((await watcher.query("SELECT count(*) AS n FROM graphile_worker._private_jobs")).rows[0].n) > 0) await sleep(5);
    };
    const add = async (n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CALLERS }, async () => {
          while (next < n) {
            next++;
            await utils.addJob("trivial", { n: 41 });
          }
        }),
      );
    };
    // Warm-up, as for Baton.
    let all = until(CALLERS);
    await add(CALLERS);
    await all;
    await empty();

    const loadBefore = load();
    const meter = cpuMeter({ postgres: await backends(watcher) });
    const start = performance.now();
    all = until(RUNS);
    await add(RUNS);
    await all;
    await empty(); // it completes jobs in batches: done when its table is empty
    const total = performance.now() - start;
    const cpu = meter({ postgres: await backends(watcher) });
    const loadAfter = load();
    console.log(`  CPU over those ${fmt(total / 1000, 2)} s: ${cpuText(cpu, total / 1000)}`);
    console.log(`  ${fmt(RUNS)} jobs done after ${fmt(total / 1000, 2)} s: ${fmt((RUNS / total) * 1000)} jobs/s (load ${loadBefore} → ${loadAfter})`);

    // Add → done on an idle runner, watched as Baton's is (the job's row gone, polled every 1 ms).
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES + 3; i++) {
      await sleep(100);
      const t = performance.now();
      const job = await utils.addJob("trivial", { n: 41 });
      while ((await watcher.query("SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1", [job.id])).rowCount) await sleep(1);
      if (i >= 3) samples.push(performance.now() - t);
    }
    const latency = { p50: pct(samples, 50), p99: pct(samples, 99) };
    console.log(`  add → done: p50 ${fmt(latency.p50, 1)} ms, p99 ${fmt(latency.p99, 1)} ms`);
    return { total, latency, loadBefore, loadAfter, cpu };
  } finally {
    await runner?.stop().catch(() => undefined);
    await Promise.resolve(utils.release()).catch(() => undefined);
    await watcher.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await dropDatabase(dbName);
  }
}

// ── report ─────────────────────────────────────────────────────────────────────────────────────

/** Which code was measured: the commit, and any uncommitted edits to the server, worker or SDK in this checkout. */
function provenance(): string {
  const git = (...args: string[]) => {
    const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : "";
  };
  const commit = git("rev-parse", "--short", "HEAD") || "unknown";
  const dirty = git("status", "--porcelain", "--", "server", "workers", "sdk", "cli", "bin", "drizzle")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.slice(3));
  return dirty.length ? `commit ${commit} with uncommitted edits to ${dirty.map((f) => `\`${f}\``).join(", ")}` : `commit ${commit} (a clean checkout of the server, worker and SDK)`;
}

async function main() {
  const cpu = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "cpu"})`;
  console.log(`Baton end-to-end benchmark — ${cpu}, Node ${process.version}, load average ${load()} (1 / 5 / 15 min)`);
  const pgVersion = await admin(async (c) => (await c.query("SHOW server_version")).rows[0].server_version as string);
  ensureProductionBuild();
  const code = provenance();
  console.log(`Measuring ${code}`);
  const loadStart = load();
  const want = (part: string) => !ONLY || ONLY.has(part);
  const rows: BatonRow[] = [];
  if (want("pg")) rows.push(await benchBaton("pg"));
  const g = want("graphile") ? await benchGraphile() : undefined;
  if (want("pglite")) rows.push(await benchBaton("pglite"));
  const loadEnd = load();

  const rate = (ms: number) => (RUNS / ms) * 1000;
  if (g) for (const r of rows) console.log(`\nBaton on ${r.label} / graphile-worker, end to end: ${fmt(rate(r.total) / rate(g.total), 3)}x`);
  if (!WRITE || !g || rows.length < 2) return;

  const pgRow = rows.find((r) => r.driver === "pg")!;
  const ratio = (r: BatonRow) => `${fmt(rate(r.total) / rate(g.total), 3)}×`;
  const calls = pgRow.calls!;
  const perRun = pgRow.perRun!;
  writeSection(
    "e2e",
    `## The user's path: Baton against graphile-worker, end to end

Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:e2e\` at ${code}, on ${cpu}, Node ${process.version}, PostgreSQL ${pgVersion} on the same machine. **The machine was shared**: other engineers' test suites may have run during it; load average (1 / 5 / 15 min) ${loadStart} at the start, ${loadEnd} at the end (each row's own below). Figures from a busy 2-core machine: compare the rows of one run, not runs of different days.

### Throughput: ${fmt(RUNS)} runs of a one-task TypeScript flow, made through the API, until all are COMPLETED

| system | made/s | end to end | / graphile-worker | load avg before → after |
| --- | ---: | ---: | ---: | --- |
${rows.map((r) => `| Baton on ${r.label} | ${fmt(rate(r.create))} | **${fmt(rate(r.total), 1)} runs/s** | **${ratio(r)}** | ${r.loadBefore} → ${r.loadAfter} |`).join("\n")}
| graphile-worker 0.17 (same PostgreSQL server) | — | **${fmt(rate(g.total))} jobs/s** | 1× | ${g.loadBefore} → ${g.loadAfter} |

Method, Baton: a real \`baton server start --host 127.0.0.1\` (auth off, the production build), on a fresh PostgreSQL database made for the run (\`DATABASE_URL\`, dropped after) and, as the second row, on PGlite (the default, a fresh data folder); ${WORKERS} real \`baton worker start -p node --limit ${LIMIT}\` process${WORKERS > 1 ? "es" : ""} on a \`node\` pool; a deployment whose entrypoint is \`${ENTRYPOINT}\` (a flow calling one task that returns a number). ${CALLERS} concurrent callers, each its own typed client (\`createBatonClient\`), make the ${fmt(RUNS)} runs with \`deployments.run\`, one after another each; the clock starts before the first call and stops when all ${fmt(RUNS)} are seen COMPLETED — on PostgreSQL by ${pgRow.watch}; on PGlite (inside the server) by ${rows.find((r) => r.driver === "pglite")!.watch}. "made/s" is how fast the calls returned. Before the clock, ${CALLERS} warm-up runs (the worker loads the flow module). Server, worker and the benchmark (callers) are three processes on the same 2 cores.

Method, graphile-worker: in the benchmark's process (as a library), \`concurrency: 16\`, its logger silenced, defaults otherwise, a fresh database on the same PostgreSQL server; ${CALLERS} concurrent callers add ${fmt(RUNS)} jobs one at a time with \`addJob\` while it runs; the task does \`n + 1\`. Timed from the first add until every job has run and its jobs table is empty. The same ${CALLERS} warm-up jobs first.

### Click → COMPLETED on an idle worker, and a trivial query

| | p50 | p99 |
| --- | ---: | ---: |
${rows.map((r) => `| Baton on ${r.label}: \`deployments.run\` → seen COMPLETED | ${fmt(r.latency.p50, 1)} ms | ${fmt(r.latency.p99, 1)} ms |\n| Baton on ${r.label}: the server's own created → end time of those runs | ${fmt(r.latency.serverP50)} ms | ${fmt(r.latency.serverP99)} ms |`).join("\n")}
| graphile-worker: \`addJob\` → job row gone | ${fmt(g.latency.p50, 1)} ms | ${fmt(g.latency.p99, 1)} ms |
${rows.map((r) => `| Baton on ${r.label}: \`workPools.list\` over HTTP, sequential | ${fmt(r.trivial.p50, 2)} ms | ${fmt(r.trivial.p99, 2)} ms |`).join("\n")}

Method: ${LATENCY_SAMPLES} sequential single runs after 3 warm-up ones (with ${LATENCY_SAMPLES} samples p99 is the slowest one or two), 100 ms apart so the one worker is back in its long-polling claim; the time is from just before \`deployments.run\` until the run is seen COMPLETED — on PostgreSQL by ${pgRow.latency.watch}, on PGlite by ${rows.find((r) => r.driver === "pglite")!.latency.watch}. The server's created → end time is from the run's own timestamps. The trivial query: ${TRIVIAL_CALLS} \`workPools.list\` calls one after another through the typed client (plain \`httpLink\`), after 50 warm-up ones. Targets (issue 10): ≥ 1.0× graphile-worker end to end, click → COMPLETED p50 ≤ 30 ms on PostgreSQL, a trivial call ≤ 3 ms p50.

### Where a run's time goes (PostgreSQL)

- Per run, the worker makes **${fmt(calls.requests, 1)} HTTP requests** to the server: ${calls.byProcedure.map(([p, n]) => `\`${p}\` ${fmt(n, 2)}`).join(", ")} — plus the caller's one \`deployments.run\`. Counted on ${calls.runs} runs made as above, with the worker replaced by one whose \`BATON_API_URL\` is a counting proxy in front of the server (not timed).
- CPU per run, user + system from \`/proc\` over each timed throughput phase (and how much of the machine's ${os.cpus().length} cores these processes used during it; the rest went to others' load):
${[...rows.map((r) => ({ name: `Baton on ${r.label}`, cpu: r.cpu, ms: r.total })), { name: "graphile-worker", cpu: g.cpu, ms: g.total }].map((x) => `  - ${x.name}: ${Object.entries(x.cpu).map(([p, sec]) => `${p} ${fmt((sec * 1000) / RUNS, 2)} ms`).join(", ")} (all together ${fmt((Object.values(x.cpu).reduce((a, b) => a + b, 0) / (x.ms / 1000) / os.cpus().length) * 100)} % of the machine)`).join("\n")}

  All together, CPU per run: ${[...rows.map((r) => `Baton on ${r.label} ${fmt((Object.values(r.cpu).reduce((a, b) => a + b, 0) * 1000) / RUNS, 1)} ms`), `graphile-worker ${fmt((Object.values(g.cpu).reduce((a, b) => a + b, 0) * 1000) / RUNS, 1)} ms a job`].join(", ")}.

  "server" is the \`baton server start\` process (with PGlite, the database is inside it), "workers" the \`baton worker start\` process(es), "postgres" the PostgreSQL backends serving the database (those alive at the start or end of the phase), "benchmark" this script (the ${CALLERS} callers and the watcher; for graphile-worker also the runner itself).
- Per run, the database commits **${fmt(perRun.xacts, 1)} transactions** and writes **${fmt(perRun.writes, 1)} rows** (${perRun.byTable.map(([t, w]) => `${t} ${fmt(w, 1)}`).join(", ")}), from \`pg_stat_database\` and \`pg_stat_user_tables\` over the timed ${fmt(RUNS)} runs, less the benchmark's own count queries. (pg_stat_statements is not loaded on this server, so statements are not counted.)
`,
    { first: true },
  );
  console.log("\nWrote BENCHMARKS.md (e2e section).");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
