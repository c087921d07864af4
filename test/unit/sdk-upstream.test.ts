/** The SDK's DAG: a task called with an earlier task's result (or with it inside an argument) lists that task run upstream. */
import { describe, expect, it } from "vitest";
import { MAX_UPSTREAM, rememberResult, upstreamOf } from "../../sdk/upstream";

describe("upstream task runs from the values passed", () => {
  it("follows objects and arrays by identity, into arguments a few levels down, within the same flow run", () => {
    const rows = [{ id: 1 }];
    const stats = { count: 1 };
    const vector = new Float32Array(4);
    rememberResult(rows, "flow-a", "load");
    rememberResult(stats, "flow-a", "stats");
    rememberResult(vector, "flow-a", "encode");
    rememberResult(42, "flow-a", "answer"); // nothing to follow

    expect(upstreamOf([rows], "flow-a")).toEqual(["load"]);
    expect(upstreamOf([{ input: { rows } }, stats], "flow-a")).toEqual(["load", "stats"]);
    expect(upstreamOf([[vector, rows, rows]], "flow-a")).toEqual(["encode", "load"]);
    // An equal copy is another value; a number has no identity; another flow run's value does not link.
    expect(upstreamOf([[{ id: 1 }], 42], "flow-a")).toEqual([]);
    expect(upstreamOf([rows], "flow-b")).toEqual([]);
    // Deeper than three levels is not searched.
    expect(upstreamOf([{ a: { b: { c: { rows } } } }], "flow-a")).toEqual([]);
  });

  it("stays within the API's bound and does not walk a huge argument whole", () => {
    const parts = Array.from({ length: MAX_UPSTREAM + 50 }, (_, i) => {
      const part = { i };
      rememberResult(part, "flow-c", `t${i}`);
      return part;
    });
    expect(upstreamOf([parts], "flow-c")).toHaveLength(MAX_UPSTREAM);
    const huge = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    const started = performance.now();
    expect(upstreamOf([huge], "flow-c")).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
