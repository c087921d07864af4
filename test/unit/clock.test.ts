import { describe, expect, it } from "vitest";
import { systemClock, TestClock } from "../../server/engine/clock";

describe("clocks", () => {
  it("a test clock stands still until advanced, then wakes the sleepers it passes, in deadline order", async () => {
    const clock = new TestClock(new Date("2026-01-01T00:00:00Z"));
    const woke: string[] = [];
    const late = clock.sleep(2_000).then(() => woke.push("2 s"));
    const soon = clock.sleep(1_000).then(() => woke.push("1 s"));
    await Promise.resolve();
    expect(woke).toEqual([]);
    expect(clock.sleeping).toBe(2);
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(1_500);
    await Promise.all([late, soon]);
    expect(woke).toEqual(["1 s", "2 s"]);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:02.499Z");
    expect(clock.sleeping).toBe(0);
    expect(() => clock.advance(-1)).toThrow(/only moves forward/);
  });

  it("an aborted sleep resolves at once, on either clock", async () => {
    const clock = new TestClock();
    const stop = new AbortController();
    const sleeping = clock.sleep(60_000, stop.signal);
    stop.abort();
    await sleeping;
    expect(clock.sleeping).toBe(0);
    const started = Date.now();
    const wall = new AbortController();
    const pending = systemClock.sleep(60_000, wall.signal);
    wall.abort();
    await pending;
    expect(Date.now() - started).toBeLessThan(1_000);
    await systemClock.sleep(5, new AbortController().signal);
  });
});
