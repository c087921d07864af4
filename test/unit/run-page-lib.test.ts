/** The pure helpers behind the run pages: metric grouping and ticks, and the logs poll cursor. */
import { describe, expect, test } from "vitest";
import { baseMetricName, metricCharts, metricPoints, niceTicks } from "../../app/_lib/metrics";
import { cancelBlocker, isLive, retryBlocker } from "../../app/_lib/run-states";

describe("metrics", () => {
  test("loss and val_loss share a chart, plain name first, steps in order", () => {
    const points = [
      { name: "val_loss", value: 0.9, step: 2 },
      { name: "loss", value: 1, step: 1 },
      { name: "loss", value: 0.5, step: 2 },
      { name: "accuracy", value: 0.7, step: 1 },
      { name: "loss", value: Number.NaN, step: 3 },
    ];
    const charts = metricCharts(metricPoints([{ type: "metrics", data: { points }, createdAt: "2026-01-01T00:00:00Z" }, { type: "file", data: {}, createdAt: "x" }]));
    expect(charts.map((c) => c.title)).toEqual(["accuracy", "loss"]);
    expect(charts[1]!.series.map((s) => s.name)).toEqual(["loss", "val_loss"]);
    expect(charts[1]!.series[0]!.points).toEqual([{ x: 1, y: 1 }, { x: 2, y: 0.5 }]);
    expect(baseMetricName("accuracy/train")).toBe("accuracy");
  });

  test("ticks are round and cover the range", () => {
    expect(niceTicks(0.23, 1.35, 4)).toEqual([0, 0.5, 1, 1.5]);
    expect(niceTicks(1, 5, 6)).toEqual([1, 2, 3, 4, 5]);
    expect(niceTicks(2, 2).length).toBeGreaterThan(1);
  });
});

describe("run states", () => {
  test("what may be done, and when a page polls", () => {
    expect(cancelBlocker("RUNNING")).toBeNull();
    expect(cancelBlocker("COMPLETED")).toMatch(/finished/);
    expect(retryBlocker("CRASHED")).toBeNull();
    expect(retryBlocker("CANCELLED")).toMatch(/cancelled/);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(isLive({ stateType: "SCHEDULED", scheduledTime: "2026-01-01T00:00:30Z" }, now)).toBe(true);
    expect(isLive({ stateType: "SCHEDULED", scheduledTime: "2026-01-01T01:00:00Z" }, now)).toBe(false);
    expect(isLive({ stateType: "FAILED", scheduledTime: "2026-01-01T00:00:00Z" }, now)).toBe(false);
  });
});
