/**
 * `npm run bench:soak`: exactly once under chaos, for minutes. A private PostgreSQL cluster, the
 * Baton server's API and background services in their own process (`bench/soak.ts serve`: the
 * same steps as `baton server start` — migrate, LISTEN, runtime, services, the API endpoints
 * on the server's own listener — without the web UI, which needs a build), several real
 * `baton worker start` processes, and thousands of short one-task runs
 * (test/worker/fixtures/counted.ts: the task body appends "start/end <run> <lease> <pid> <ppid>"
 * to a side-effect file). Meanwhile: random SIGKILLs of workers (each restarted under the same
 * name and data directory, so its outbox is sent), and two SIGKILLs of the server (restarted on
 * the same port, once quickly, once after more than the worker timeout).
 *
 * Counted from the side-effect file and the API, and written to BENCHMARKS.md (section soak):
 *   - twice where the worker survived: a run whose body started under two leases although the
 *     worker of the earlier one was never killed (must be 0);
 *   - rerun after a kill: a run started again because the worker running it was SIGKILLed (the
 *     body died with it or its report did: at-least-once by design, retried by the zombie killer);
 *   - stuck: not in a final state at the deadline; lost: final but not COMPLETED, or never ran;
 *   - throughput: COMPLETED runs per second over the whole soak, chaos included.
 * Environment: SOAK_RUNS (default 3000), SOAK_WORKERS (3), SOAK_LIMIT (slots each, 8).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeSection } from "./report";
import { isTerminalState, type StateType } from "../server/engine/state-types";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.SOAK_RUNS ?? 3000);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 3);
const LIMIT = Number(process.env.SOAK_LIMIT ?? 8);
const WORKER_TIMEOUT_S = 6;
const BODY_SECONDS = 0.05;
const ENGINE_ENV = {
  BATON_WORKER_TIMEOUT_S: String(WORKER_TIMEOUT_S),
  BATON_HEARTBEAT_INTERVAL_S: "1",
  BATON_SERVICES_INTERVAL_S: "0.5",
  BATON_CLAIM_FALLBACK_POLL_S: "2",
};

/** The server's API and services over DATABASE_URL on PORT: what `baton server start` runs, minus Next. */
async function serve(): Promise<void> {
  const { loadConfig } = await import("../server/config");
  const { openDatabase } = await import("../server/db/client");
  const { loadEngineSettings } = await import("../server/engine/settings");
  const { RunSignals } = await import("../server/engine/signals");
  const { setRuntime } = await import("../server/runtime");
  const { startServices } = await import("../server/services");
  const { serveNodeRequest } = await import("../server/node-request");
  (process.env as Record<string, string>).NODE_ENV ??= "production";
  const config = loadConfig();
  const settings = loadEngineSettings();
  const database = await openDatabase(config.database);
  await database.migrate();
  const signals = new RunSignals();
  await signals.start(database);
  setRuntime({ config, database, engine: { settings, signals } });
  startServices({ database, settings });
  const { apiEndpointFor } = await import("../server/api/endpoint");
  const server = http.createServer((req, res) => {
    const endpoint = apiEndpointFor((req.url ?? "/").split("?")[0]!);
    if (!endpoint) {
      res.writeHead(404).end();
      return;
    }
    serveNodeRequest(endpoint, req, res).catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`soak server listening on ${process.env.PORT}`));
}

interface Proc {
  child: ChildProcess;
  out: string;
}

function spawnLogged(args: string[], env: Record<string, string>, label: string): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const proc: Proc = { child, out: "" };
  const keep = (d: Buffer) => {
    proc.out += d.toString();
    if (proc.out.length > 200_000) proc.out = proc.out.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (err) => console.error(`${label}: ${err.message}`));
  return proc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (p: Proc) => new Promise<void>((resolve) => (p.child.exitCode !== null || p.child.signalCode !== null ? resolve() : p.child.once("exit", () => resolve())));

async function main(): Promise<void> {
  const { startPrivatePostgres, freeTcpPort } = await import("../test/helpers/private-postgres");
  const { createBatonClient } = await import("../server/client");
  const t0 = Date.now();
  const cluster = await startPrivatePostgres();
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-soak-"));
  const marker = path.join(dir, "side-effects.txt");
  let server: Proc | undefined;
  const workers: (Proc | undefined)[] = [];
  const killedPids = new Set<number>();
  const chaos: string[] = [];
  const note = (m: string) => {
    const line = `${((Date.now() - t0) / 1000).toFixed(1)} s: ${m}`;
    chaos.push(line);
    console.log(line);
  };
  // Interrupted: take the children and the cluster down with us.
  const bail = () => {
    for (const w of workers) w?.child.kill("SIGKILL");
    server?.child.kill("SIGKILL");
    void cluster.destroy().finally(() => process.exit(130));
  };
  process.once("SIGINT", bail);
  process.once("SIGTERM", bail);
  try {
    const url = await cluster.createDatabase("baton_soak");
    const port = await freeTcpPort();
    const apiUrl = `http://127.0.0.1:${port}/api`;
    const startServer = async () => {
      server = spawnLogged(["--import", "tsx", path.join(ROOT, "bench/soak.ts"), "serve"], { ...ENGINE_ENV, DATABASE_URL: url, PORT: String(port) }, "server");
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        if (/soak server listening/.test(server.out)) return;
        if (server.child.exitCode !== null) break;
        await sleep(100);
      }
      throw new Error(`the soak server did not start:\n${server.out}`);
    };
    const startWorker = (i: number) => {
      workers[i] = spawnLogged(
        [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", "soak", "--name", `soak-${i}`, "--limit", String(LIMIT)],
        { BATON_API_URL: apiUrl, BATON_WORKER_DATA_DIR: path.join(dir, `worker-${i}`), BATON_WORKER_RETRY_REFUSED_S: "600", BATON_WORKER_CLAIM_WAIT_MS: "10000", BATON_WORKER_KILL_GRACE_S: "1" },
        `worker ${i}`,
      );
    };
    const killWorker = async (i: number) => {
      const w = workers[i]!;
      killedPids.add(w.child.pid!);
      w.child.kill("SIGKILL");
      await exited(w);
    };

    await startServer();
    const client = createBatonClient({ apiUrl, batch: false, retryRefusedMs: 120_000 });
    await client.workPools.create.mutate({ name: "soak", type: "node" });
    await client.deployments.create.mutate({
      flow: "counted",
      name: "soak",
      entrypoint: "test/worker/fixtures/counted.ts:counted",
      workPool: "soak",
      parameterSchema: { "x-baton": { maxRetries: 5, retryDelaySeconds: 0 } },
    });
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < WORKERS; i++) startWorker(i);
    await sleep(3_000);

    // Runs are made in waves as the soak goes, from 8 concurrent callers.
    const ids: string[] = [];
    const started = Date.now();
    let making = true;
    const maker = (async () => {
      const perWave = 100;
      while (ids.length < RUNS) {
        const n = Math.min(perWave, RUNS - ids.length);
        const made = await Promise.all(
          Array.from({ length: 8 }, async (_, k) => {
            const mine: string[] = [];
            for (let j = k; j < n; j += 8) {
              for (;;) {
                try {
                  mine.push((await client.deployments.run.mutate({ deployment: "counted/soak", parameters: { marker, seconds: BODY_SECONDS } })).id);
                  break;
                } catch {
                  await sleep(500); // the server is down: this call made nothing (refused) or failed whole
                }
              }
            }
            return mine;
          }),
        );
        ids.push(...made.flat());
        await sleep(1_000);
      }
      making = false;
    })();

    const completedCount = async () => {
      const lines = readText(marker).split("\n").filter((l) => l.startsWith("end "));
      return new Set(lines.map((l) => l.split(" ")[1])).size;
    };
    // Chaos while runs are made and done: a worker SIGKILLed every 10–20 s (back 1–3 s later),
    // the server SIGKILLed at a third (back after 2 s) and at two thirds (back after 2× the worker timeout).
    const pg = (await import("pg")).default;
    const census = async () => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        const { rows } = await c.query<{ s: string; n: string }>("SELECT state_type || '/' || state_name AS s, count(*) AS n FROM flow_runs GROUP BY 1 ORDER BY 1");
        return rows.map((r) => `${r.s} ${r.n}`).join(", ");
      } catch (err) {
        return `(database: ${(err as Error).message})`;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    let lastCensus = 0;
    // Once every run is made, the soak ends when no body has ended for 90 s (the rest are stuck).
    let lastDone = -1;
    let lastProgressAt = Date.now();
    let serverKills = 0;
    let nextWorkerKill = Date.now() + 10_000 + Math.random() * 10_000;
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const done = await completedCount();
      if (!making && done >= ids.length) break;
      if (Date.now() > deadline) break;
      if (done !== lastDone) {
        lastDone = done;
        lastProgressAt = Date.now();
      } else if (!making && Date.now() - lastProgressAt > 90_000) {
        note(`no body ended for 90 s with ${ids.length - done} run(s) not done: stopping`);
        break;
      }
      if (Date.now() - lastCensus > 15_000) {
        lastCensus = Date.now();
        console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${done} bodies done of ${ids.length} made; ${await census()}`);
      }
      if (serverKills < 2 && done >= ((serverKills + 1) * RUNS) / 3) {
        const downMs = serverKills === 0 ? 2_000 : 2 * WORKER_TIMEOUT_S * 1000;
        note(`SIGKILL server (${done} bodies done), down ${downMs / 1000} s`);
        server!.child.kill("SIGKILL");
        await exited(server!);
        await sleep(downMs);
        await startServer();
        note("server back");
        serverKills++;
      } else if (Date.now() > nextWorkerKill) {
        const i = Math.floor(Math.random() * WORKERS);
        note(`SIGKILL worker soak-${i} (pid ${workers[i]!.child.pid})`);
        await killWorker(i);
        await sleep(1_000 + Math.random() * 2_000);
        startWorker(i);
        nextWorkerKill = Date.now() + 10_000 + Math.random() * 10_000;
      }
      await sleep(500);
    }
    await maker;

    // Let the zombie killer and retries settle the last killed worker's runs, then judge.
    const settleUntil = Date.now() + 30_000;
    let states = new Map<string, string>();
    while (Date.now() < settleUntil) {
      // Read from the database itself: thousands of API calls at once would meet the rate limit.
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const { rows } = await c.query<{ id: string; state_type: string }>("SELECT id, state_type FROM flow_runs WHERE id = ANY($1::uuid[])", [ids]);
        states = new Map(rows.map((r) => [r.id, r.state_type]));
      } finally {
        await c.end();
      }
      if ([...states.values()].every((s) => isTerminalState(s as StateType))) break;
      await sleep(2_000);
    }
    const elapsedS = (Date.now() - started) / 1000;

    // Side effects: per run, its leases in order, with the pids that ran each.
    const byRun = new Map<string, { lease: string; what: string; pids: number[] }[]>();
    for (const line of readText(marker).split("\n").filter(Boolean)) {
      const [what, runId, lease, pid, ppid] = line.split(" ");
      const list = byRun.get(runId!) ?? [];
      list.push({ what: what!, lease: lease!, pids: [Number(pid), Number(ppid)] });
      byRun.set(runId!, list);
    }
    let twiceSurvived = 0;
    let rerunAfterKill = 0;
    let endedTwice = 0;
    const examples: string[] = [];
    for (const [runId, lines] of byRun) {
      const leases = [...new Set(lines.filter((l) => l.what === "start").map((l) => l.lease))];
      if (lines.filter((l) => l.what === "end").length > 1) endedTwice++;
      if (leases.length < 2) continue;
      // Every lease but the last must belong to a worker that was killed.
      const survivedEarlier = leases.slice(0, -1).some((lease) => !lines.find((l) => l.lease === lease)!.pids.some((p) => killedPids.has(p)));
      if (survivedEarlier) {
        twiceSurvived++;
        if (examples.length < 5) examples.push(`${runId}: ${lines.map((l) => `${l.what}@${l.lease.slice(0, 8)}/${l.pids[0]}`).join(" ")}`);
      } else rerunAfterKill++;
    }
    const final = [...states.values()];
    const completed = final.filter((s) => s === "COMPLETED").length;
    const stuck = final.filter((s) => !isTerminalState(s as StateType)).length + (ids.length - states.size);
    // Never ran: no "start" line at all (a subset of the stuck, unless something ended them).
    const neverRan = ids.filter((id) => !byRun.has(id)).length;
    const lost = final.filter((s) => ["FAILED", "CRASHED", "CANCELLED"].includes(s)).length;
    const workerKills = chaos.filter((c) => /SIGKILL worker/.test(c)).length;
    const summary = { runs: ids.length, completed, twiceSurvived, rerunAfterKill, endedTwice, stuck, lost, neverRan, workerKills, serverKills, elapsedS, runsPerS: completed / elapsedS };
    console.log(JSON.stringify(summary, null, 2));
    if (examples.length) console.log(`twice although the worker survived:\n${examples.join("\n")}`);

    const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");
    writeSection(
      "soak",
      `## Soak: exactly once under chaos (\`npm run bench:soak\`)

${ids.length} one-task runs (the task body appends start/end lines to a side-effect file and sleeps ${BODY_SECONDS * 1000} ms) made in waves of 100
from 8 callers, ${WORKERS} real \`baton worker start\` processes × ${LIMIT} slots, the server's API and services in their own process
on a private PostgreSQL 15 cluster (\`bench/soak.ts serve\`: \`baton server start\` without the web UI), worker timeout ${WORKER_TIMEOUT_S} s,
heartbeat 1 s, runs retried up to 5 times. Chaos: a random worker SIGKILLed every 10–20 s and restarted 1–3 s later under the
same name and data directory (${workerKills} kills); the server SIGKILLed twice (${serverKills}), back after 2 s and after ${2 * WORKER_TIMEOUT_S} s.
Counted from the side-effect file (which lease ran each body, in which pid) and the API at the end. Load average at the end: ${load}.

| measure | value |
| --- | --- |
| runs COMPLETED | ${completed} of ${ids.length} |
| bodies run twice where the worker survived | **${twiceSurvived}** |
| runs re-run because their worker was SIGKILLed (at-least-once by design) | ${rerunAfterKill} |
| runs whose body reached its end twice (any cause) | ${endedTwice} |
| stuck (not in a final state at the end) | **${stuck}** |
| lost (final but not COMPLETED) | **${lost}** |
| runs whose body never started (among the stuck) | ${neverRan} |
| throughput, chaos included | ${(completed / elapsedS).toFixed(1)} runs/s over ${elapsedS.toFixed(0)} s |

Chaos log: ${chaos.map((c) => c.replace(/ \(pid \d+\)/, "")).join("; ")}.`,
    );
  } finally {
    for (const w of workers) if (w && w.child.exitCode === null) w.child.kill("SIGKILL");
    if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
    await Promise.all([...workers.filter(Boolean).map((w) => exited(w!)), server ? exited(server) : undefined]);
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

if (process.argv[2] === "serve") {
  serve().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
