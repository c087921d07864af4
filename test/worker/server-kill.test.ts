/**
 * The real server, on real PostgreSQL, SIGKILLed with runs in flight on a real worker, then
 * started again on the same port: once for less than the worker timeout, once for twice as long.
 * Counted by side effects (a file each body appends "start" and "end" to): every body ran exactly
 * once, every run ends COMPLETED, none is left RUNNING. The zombie killer, started again with the
 * server, waits a worker timeout for heartbeats before judging anyone silent.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { freePort, startBaton, type BatonProcess } from "../../e2e/helpers/baton-process";
import { useTestDatabase } from "../helpers/db";
import { REPO_ROOT, waitFor } from "./harness";
import { isTerminalState } from "../../server/engine/state-types";

const WORKER_TIMEOUT_S = 4;

describe("SIGKILL the server with runs in flight", () => {
  const handle = useTestDatabase();
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-server-kill-"));
  let server: BatonProcess | undefined;
  const stopAll: (() => void)[] = [];
  afterAll(async () => {
    for (const stop of stopAll) stop();
    await server?.stop();
  });

  it("for less and for more than the worker timeout: each body runs once, every run COMPLETED", async () => {
    const port = await freePort();
    const env = {
      DATABASE_URL: handle.config.url!,
      BATON_WORKER_TIMEOUT_S: String(WORKER_TIMEOUT_S),
      BATON_HEARTBEAT_INTERVAL_S: "1",
      BATON_SERVICES_INTERVAL_S: "0.5",
    };
    const start = () => startBaton({ port, env });
    server = await start();
    const client = createBatonClient({ apiUrl: server.apiUrl, batch: false });
    await client.workPools.create.mutate({ name: "kill", type: "node" });
    await client.deployments.create.mutate({ flow: "sleeper", name: "d", entrypoint: "test/worker/fixtures/flows.ts:sleeper", workPool: "kill" });

    const worker = spawn(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "worker", "start", "-p", "kill", "--name", "steady", "--limit", "4"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: server.apiUrl, BATON_WORKER_DATA_DIR: path.join(dir, "worker"), BATON_WORKER_RETRY_REFUSED_S: "60", BATON_WORKER_CLAIM_WAIT_MS: "3000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    worker.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    worker.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    stopAll.push(() => worker.kill("SIGKILL"));
    await waitFor(() => /polling pool/.test(out), 30_000, () => out);

    for (const downMs of [1_000, 2 * WORKER_TIMEOUT_S * 1000]) {
      const marker = path.join(dir, `side-effects-${downMs}.txt`);
      const lines = () => {
        try {
          return readFileSync(marker, "utf8").split("\n").filter(Boolean);
        } catch {
          return [];
        }
      };
      const api = createBatonClient({ apiUrl: server!.apiUrl, batch: false });
      const runs = await Promise.all(Array.from({ length: 4 }, () => api.deployments.run.mutate({ deployment: "sleeper/d", parameters: { marker, seconds: 2 } })));
      await waitFor(() => lines().filter((l) => l === "start").length === 4, 30_000, () => out);

      await server!.kill();
      await new Promise((r) => setTimeout(r, downMs));
      server = await start();

      const after = createBatonClient({ apiUrl: server.apiUrl, batch: false });
      const done = await waitFor(async () => {
        const states = await Promise.all(runs.map((r) => after.flowRuns.get.query({ id: r.id })));
        return states.every((s) => isTerminalState(s.stateType)) ? states : undefined;
      }, 60_000, () => `${out}\n--- server ---\n${server!.output()}`);
      expect(done.map((r) => `${r.stateType}${r.runCount > 1 ? ` (ran ${r.runCount}×)` : ""}`), `down ${downMs} ms\n${out}`).toEqual(Array(4).fill("COMPLETED"));
      expect(lines().sort(), `down ${downMs} ms: each body exactly once`).toEqual([...Array(4).fill("end"), ...Array(4).fill("start")]);
    }
  });
});
