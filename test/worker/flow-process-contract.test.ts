/**
 * executeRun's contract for a TypeScript flow, which the worker relies on when it waits for the
 * executor instead of racing it against the signal: when the signal fires it rejects with the
 * signal's own reason, and only once the flow's process is gone; a flow's error comes back with
 * its name and stack. Real flow processes; no API is needed (these flows make no calls, and the
 * child's warm-up request to the closed port below just fails).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { executeRun } from "../../workers/node/execute";
import { closeFlowProcesses } from "../../workers/node/flow-process";
import { loadWorkerSettings } from "../../workers/node/settings";
import type { ClaimedRun, WorkerRuntime } from "../../workers/node/types";
import { isAlive, REPO_ROOT, waitFor } from "./harness";

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("executeRun of a TypeScript flow", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-flow-contract-"));
  const apiUrl = "http://127.0.0.1:59999/api";
  const logged: string[] = [];
  const rt = {
    client: createBatonClient({ apiUrl, batch: false }),
    shipper: { log: (e: { message: string }) => logged.push(e.message), metric: () => {} },
    settings: loadWorkerSettings({ pool: "contract", limit: 2, killGraceSeconds: 1, retryRefusedSeconds: 0, checkout: REPO_ROOT }),
    apiUrl,
    workspace: "default",
    poolType: "node",
    baseJobTemplate: {},
    capabilities: {},
    log: (m: string) => logged.push(m),
  } as unknown as WorkerRuntime;
  let n = 0;
  const claimed = (exportName: string, parameters: Record<string, unknown> = {}) =>
    ({ id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`, name: `run-${n}`, entrypoint: `test/worker/fixtures/flow-process.ts:${exportName}`, parameters, leaseToken: "00000000-0000-4000-8000-0000000000ff" }) as unknown as ClaimedRun;

  afterAll(() => closeFlowProcesses(rt));

  /** Aborts once `started` holds; resolves with what executeRun did, when, and whether the pid was alive then. */
  async function abortWhen(run: ClaimedRun, started: () => number | undefined) {
    const controller = new AbortController();
    const settled = executeRun(run, controller.signal, rt).then(
      () => ({ ok: true as const, at: Date.now(), error: undefined }),
      (error: unknown) => ({ ok: false as const, at: Date.now(), error }),
    );
    const pid = await waitFor(started, 30_000, () => logged.join("\n"));
    const reason = new Error("stopped by the test");
    const abortedAt = Date.now();
    controller.abort(reason);
    const outcome = await settled;
    return { ...outcome, pid, reason, ms: outcome.at - abortedAt, aliveAtSettle: isAlive(pid) };
  }

  it("an aborted run whose body ignores the signal rejects with the signal's reason, its process already gone", async () => {
    const marker = path.join(dir, "ticks.txt");
    const r = await abortWhen(claimed("ticker", { marker }), () => (lines(marker).length >= 3 ? Number(lines(marker)[0]!.split(" ").at(-1)) : undefined));
    expect(r.ok).toBe(false);
    expect(r.error).toBe(r.reason);
    expect(r.aliveAtSettle).toBe(false);
    expect(r.ms).toBeLessThan(1_000);
    const count = lines(marker).length;
    await new Promise((res) => setTimeout(res, 500));
    expect(lines(marker).length).toBe(count);
  });

  it("a synchronous loop is SIGKILLed after the kill grace (1 s): rejected then, not before", async () => {
    const marker = path.join(dir, "spin.txt");
    const r = await abortWhen(claimed("spinner", { marker }), () => (lines(marker).length ? Number(lines(marker)[0]!.split(" ").at(-1)) : undefined));
    expect(r.error).toBe(r.reason);
    expect(r.aliveAtSettle).toBe(false);
    expect(r.ms).toBeGreaterThanOrEqual(900);
    expect(r.ms).toBeLessThan(3_000);
    expect(logged.join("\n")).toMatch(/still running 1 s after it was told to stop: killed \(SIGKILL\)/);
  });

  it("a flow's own error comes back with its name, message and stack", async () => {
    const error = await executeRun(claimed("failing"), new AbortController().signal, rt).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ name: "TypeError", message: "bad input: expected a number" });
    expect(error?.stack).toMatch(/fixtures\/flow-process\.ts/);
  });
});
