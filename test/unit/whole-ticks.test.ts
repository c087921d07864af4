import { describe, expect, it } from "vitest";
import { wholeTicks } from "@/app/_lib/whole-ticks";

describe("wholeTicks", () => {
  it("gives whole, distinct, evenly spaced ticks from 0 that reach the largest count", () => {
    expect(wholeTicks(1)).toEqual([0, 1]);
    expect(wholeTicks(3)).toEqual([0, 1, 2, 3]);
    expect(wholeTicks(12)).toEqual([0, 5, 10, 15]);
    expect(wholeTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(wholeTicks(0)).toEqual([0, 1]);
    for (const n of [1, 2, 4, 7, 37, 999, 123_456]) {
      const ticks = wholeTicks(n);
      expect(ticks.every(Number.isInteger)).toBe(true);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(n);
      expect(ticks.length).toBeLessThanOrEqual(7);
      expect(new Set(ticks.slice(1).map((t, i) => t - ticks[i]!)).size).toBe(1);
    }
  });
});
