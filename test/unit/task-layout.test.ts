/** The run graph's layout: dagre for a flow's usual handful of tasks, one linear pass for ten thousand. */
import { describe, expect, test } from "vitest";
import { DAGRE_MAX_NODES, layoutTasks, NODE_HEIGHT, NODE_WIDTH } from "../../app/runs/[id]/task-layout";

const overlaps = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT;

function expectNoOverlap(positions: Map<string, { x: number; y: number }>) {
  const all = [...positions.values()];
  // Neighbours in x order are enough to find an overlap.
  all.sort((a, b) => a.x - b.x || a.y - b.y);
  let found = 0;
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length && all[j]!.x - all[i]!.x < NODE_WIDTH; j++) if (overlaps(all[i]!, all[j]!)) found++;
  }
  expect(found).toBe(0);
}

describe("task graph layout", () => {
  test("a small DAG with dagre: every task left of what it fed, none overlapping", () => {
    const tasks = [
      { id: "load", upstream: [] },
      { id: "clean", upstream: ["load"] },
      { id: "stats", upstream: ["load", "clean"] },
      { id: "top", upstream: ["clean"] },
      { id: "report", upstream: ["stats", "top", "gone"] },
    ];
    const { positions, engine } = layoutTasks(tasks);
    expect(engine).toBe("dagre");
    for (const t of tasks) for (const up of t.upstream) if (positions.has(up)) expect(positions.get(up)!.x).toBeLessThan(positions.get(t.id)!.x);
    expectNoOverlap(positions);
  });

  test("ten thousand task runs fanning out and in: layered, quickly, wrapped into a block, no overlaps", () => {
    const n = 10_000;
    const tasks = Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      upstream: i === 0 ? [] : i === n - 1 ? Array.from({ length: 999 }, (_, j) => `t${j + 1}`) : ["t0"],
    }));
    const started = performance.now();
    const { positions, engine } = layoutTasks(tasks);
    const ms = performance.now() - started;
    expect(engine).toBe("layers");
    expect(ms).toBeLessThan(2_000);
    expect(positions.size).toBe(n);
    const xs = [...positions.values()].map((p) => p.x);
    const ys = [...positions.values()].map((p) => p.y);
    // The fan-out wraps: far wider than one column, far shorter than ten thousand rows.
    expect(Math.max(...ys)).toBeLessThan(100 * NODE_HEIGHT);
    expect(Math.max(...xs)).toBeGreaterThan(100 * NODE_WIDTH);
    expect(positions.get("t0")!.x).toBeLessThan(positions.get("t1")!.x);
    expect(positions.get(`t${n - 1}`)!.x).toBe(Math.max(...xs));
    expectNoOverlap(positions);
  });

  test("a long chain is laid out without recursion, one column per link", () => {
    const tasks = Array.from({ length: DAGRE_MAX_NODES + 5_000 }, (_, i) => ({ id: `c${i}`, upstream: i ? [`c${i - 1}`] : [] }));
    const { positions } = layoutTasks(tasks);
    expect(positions.get("c1")!.x).toBeGreaterThan(positions.get("c0")!.x);
    expect(new Set([...positions.values()].map((p) => p.y))).toEqual(new Set([0]));
  });
});
