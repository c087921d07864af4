import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { sleep, withTimeout } from "../../sdk/policy";

describe("run signals", () => {
  it("leave no abort listener behind per task or sleep, so a flow with many tasks does not warn", async () => {
    const run = new AbortController();
    for (let i = 0; i < 50; i++) {
      await withTimeout(async (signal) => {
        await sleep(0, signal);
        return i;
      }, 10, run.signal);
      await sleep(0, run.signal);
    }
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
  });

  it("still stops the work when the run is aborted", async () => {
    const run = new AbortController();
    const work = withTimeout((signal) => sleep(10_000, signal), undefined, run.signal);
    run.abort(new Error("cancelled"));
    await expect(work).rejects.toThrow("cancelled");
    await expect(withTimeout((signal) => sleep(10_000, signal), 0.05, new AbortController().signal)).rejects.toThrow(/timed out after 0.05 s/);
  });
});
