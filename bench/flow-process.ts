/**
 * What a flow process costs (workers/node/flow-process.ts): `node --import tsx bench/flow-process.ts [--n 20]`.
 *
 * 1. Start: fork workers/node/flow-child.mjs until it says ready (node, tsx, the SDK, the API
 *    client and its first request — answered by a stub HTTP server here, so no database is
 *    involved), N times one after another: wall time, the child's CPU and RSS at ready.
 * 2. A run in a warm child: from handing it a one-line flow (no tasks, so no API calls) to its
 *    outcome — loading the flow module fresh, running it, the IPC round trip; then the same run
 *    again in the same child (what a reused process costs).
 *
 * Prints the figures; the BENCHMARKS.md section quotes them with the date and load average.
 */
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { ToParent } from "../workers/node/flow-ipc";

const ROOT = path.resolve(import.meta.dirname, "..");
const BOOT = path.join(ROOT, "workers/node/flow-child.mjs");
const N = Number(process.argv[process.argv.indexOf("--n") + 1]) || 20;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const tick = () => Number(process.hrtime.bigint() / 1000n) / 1000;

/** utime + stime of a process, in ms, and its resident memory in MB. */
function usage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return { cpuMs: (ticks * 1000) / 100, rssMb: rss / 1024 };
}

async function main() {
  // Answers the child's warm-up request (auth.status) as the API would, JSON.
  const api = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ result: { data: { enabled: false } } }));
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}/api`;
  const checkout = mkdtempSync(path.join(os.tmpdir(), "baton-bench-flow-"));
  writeFileSync(path.join(checkout, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(path.join(checkout, "noop.ts"), `import { flow } from ${JSON.stringify(path.join(ROOT, "sdk/index.ts"))};\nexport const noop = flow("noop", async () => 1);\n`);

  const starts: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  const runs: number[] = [];
  const reruns: number[] = [];
  const runMessage = { type: "run", run: { id: "00000000-0000-4000-8000-000000000000", entrypoint: "noop.ts:noop", parameters: {}, leaseToken: "00000000-0000-4000-8000-000000000001" }, checkout, capabilities: {} };
  for (let i = 0; i < N + 1; i++) {
    const t0 = tick();
    const child = fork(BOOT, [], { env: { ...process.env, BATON_API_URL: apiUrl, BATON_WORKSPACE: "default" }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const exited = new Promise((r) => child.once("exit", r));
    const messages: ToParent[] = [];
    let wake: (() => void) | undefined;
    child.on("message", (m: ToParent) => {
      messages.push(m);
      wake?.();
    });
    const next = async (type: ToParent["type"]) => {
      for (;;) {
        const m = messages.shift();
        if (m?.type === type) return m;
        if (!m) await new Promise<void>((r) => (wake = r));
      }
    };
    await next("ready");
    const ready = tick() - t0;
    const u = usage(child.pid!);
    const r0 = tick();
    child.send(runMessage);
    const done = await next("done");
    const ran = tick() - r0;
    if (!(done.type === "done" && done.ok)) throw new Error(`the noop run failed: ${JSON.stringify(done)}`);
    // The same process again, its flow module already loaded: what a reused process costs a run.
    const a0 = tick();
    child.send(runMessage);
    await next("done");
    const again = tick() - a0;
    child.send({ type: "exit" });
    await exited;
    // The first start warms the disk caches (tsx's transform cache included): not counted.
    if (i === 0) continue;
    starts.push(ready);
    cpu.push(u.cpuMs);
    rss.push(u.rssMb);
    runs.push(ran);
    reruns.push(again);
  }
  api.close();
  rmSync(checkout, { recursive: true, force: true });
  const f = (n: number) => n.toFixed(1);
  console.log(`flow process, ${N} starts one after another (${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" / ")}):`);
  console.log(`  fork → ready: p50 ${f(pct(starts, 50))} ms, p90 ${f(pct(starts, 90))} ms, min ${f(Math.min(...starts))} ms`);
  console.log(`  CPU of the child until ready: p50 ${f(pct(cpu, 50))} ms; RSS at ready: p50 ${f(pct(rss, 50))} MB`);
  console.log(`  a no-task flow in a warm child, run message → outcome: p50 ${f(pct(runs, 50))} ms, p90 ${f(pct(runs, 90))} ms`);
  console.log(`  the same flow again in that child (module loaded): p50 ${f(pct(reruns, 50))} ms, p90 ${f(pct(reruns, 90))} ms`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
