/**
 * PostgreSQL restarted mid-run (`pg_ctl stop -m immediate`, then start: every backend killed at
 * once, as in a crash) under the API, the background services and two real workers with runs
 * in flight — on a private cluster, never the shared one. Once briefly, once for longer than
 * the worker timeout (no heartbeat can land meanwhile, so the zombie killer must not judge
 * the workers by it). Counted by side effects (each task body appends "start <run> <lease>"
 * and "end <run> <lease>"): every body ran exactly once, under the lease of its one attempt;
 * every run COMPLETED within the deadline (none stuck, none lost); and the server kept
 * serving after each restart, its run wake-ups (LISTEN) included.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/db/client";
import { sleep } from "../helpers/services";
import { startPrivatePostgres, type PrivatePostgres } from "../helpers/private-postgres";
import { sideEffects, useWorkerHarness, waitFor, type WorkerProcess } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const WORKER_TIMEOUT_MS = 4_000;
let cluster: PrivatePostgres | undefined;
let databaseUrl = "";

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  databaseUrl = await cluster.createDatabase("baton_pg_restart");
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe("PostgreSQL restarted with runs in flight", () => {
  const h = useWorkerHarness(
    { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500, servicesIntervalMs: 250, claimFallbackPollMs: 10_000, lateAfterMs: 60_000, pendingTimeoutMs: 60_000 },
    { database: () => openDatabase({ driver: "pg", url: databaseUrl }), services: true },
  );

  it("briefly and for longer than the worker timeout: each body once, every run COMPLETED, the API serving again", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "baton-pg-restart-"));
    await h.client.workPools.create.mutate({ name: "pgr", type: "node" });
    await h.client.deployments.create.mutate({ flow: "counted", name: "d", entrypoint: "test/worker/fixtures/counted.ts:counted", workPool: "pgr" });
    const workers: WorkerProcess[] = ["pgr-a", "pgr-b"].map((name) =>
      h.startWorker(["-p", "pgr", "--name", name, "--limit", "4"], { BATON_WORKER_DATA_DIR: path.join(dir, name), BATON_WORKER_RETRY_REFUSED_S: "120", BATON_WORKER_CLAIM_WAIT_MS: "20000" }),
    );
    for (const w of workers) await h.waitForWorker(w);
    const outputs = () => `${workers.map((w, i) => `--- worker ${i} ---\n${w.output()}`).join("\n")}\n--- services ---\n${h.serviceLog.join("\n")}`;

    for (const [round, downMs, runsInRound] of [
      [1, 1_000, 16],
      [2, 2 * WORKER_TIMEOUT_MS, 8],
    ] as const) {
      const marker = path.join(dir, `side-effects-${round}.txt`);
      const runs = await Promise.all(
        Array.from({ length: runsInRound }, () => h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 3 } })),
      );
      // Every slot busy: the restart lands on bodies in flight and on task reports to come.
      // Bodies of 3 s, so that all eight overlap even when flow processes start seconds
      // apart on a loaded machine (with 1.5 s, eight at once was sometimes never seen).
      await waitFor(() => [...sideEffects(marker).values()].filter((l) => l.length === 1).length >= 8, 30_000, outputs);
      const killedAt = Date.now();
      await cluster!.restart({ downMs });

      const deadline = 60_000;
      const done = await waitFor(async () => {
        try {
          const states = await Promise.all(runs.map((r) => h.client.flowRuns.get.query({ id: r.id })));
          return states.every((s) => isTerminalState(s.stateType)) ? states : undefined;
        } catch {
          return undefined; // the API answers 5xx while the database recovers
        }
      }, deadline, () => `round ${round}\n${outputs()}`);
      const tookMs = Date.now() - killedAt;

      expect(done.map((r) => `${r.stateType}${r.runCount > 1 ? ` ran ${r.runCount}×` : ""}${r.stateType === "COMPLETED" ? "" : `: ${r.stateMessage}`}`), `round ${round}\n${outputs()}`).toEqual(
        Array(runsInRound).fill("COMPLETED"),
      );
      // Each body exactly once, started and ended under the lease its one attempt was given.
      const effects = sideEffects(marker);
      expect(effects.size, `round ${round}: a body per run`).toBe(runsInRound);
      for (const r of runs) {
        const lines = effects.get(r.id) ?? [];
        expect(lines.map((l) => l.split(" ")[0]), `round ${round}: run ${r.id}\n${outputs()}`).toEqual(["start", "end"]);
        expect(new Set(lines.map((l) => l.split(" ")[1])).size).toBe(1);
      }
      expect(tookMs, `round ${round}: all COMPLETED ${tookMs} ms after the kill`).toBeLessThan(deadline);
    }

    // The server came back whole: a new run is claimed through the long poll's wake-up (the
    // LISTEN connection reconnected), not only by the fallback poll.
    const marker = path.join(dir, "side-effects-after.txt");
    await sleep(1_500); // both workers parked in a long poll again
    const createdAt = Date.now();
    const run = await h.client.deployments.run.mutate({ deployment: "counted/d", parameters: { marker, seconds: 0 } });
    await waitFor(() => sideEffects(marker).get(run.id)?.length === 2, 15_000, outputs);
    expect(Date.now() - createdAt, "claimed on its NOTIFY, not after a fallback poll").toBeLessThan(3_000);
    // Nobody crashed a live worker's run for the database's downtime.
    expect(h.serviceLog.filter((l) => /zombie killer: flow run/.test(l))).toEqual([]);
  });
});
