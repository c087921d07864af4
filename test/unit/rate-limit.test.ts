import { describe, expect, it } from "vitest";
import { RateLimiter, sharedRateLimiter } from "../../server/api/rate-limit";

describe("RateLimiter", () => {
  it("lets a burst through, then refuses with the time until the next token", () => {
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 3 });
    const t = 1_000_000;
    expect(limiter.take("a", t)).toEqual({ ok: true });
    expect(limiter.take("a", t)).toEqual({ ok: true });
    expect(limiter.take("a", t)).toEqual({ ok: true });
    expect(limiter.take("a", t)).toEqual({ ok: false, retryAfterMs: 100 });
    // 50 ms later: half a token, 50 ms to go.
    expect(limiter.take("a", t + 50)).toEqual({ ok: false, retryAfterMs: 50 });
    expect(limiter.take("a", t + 100)).toEqual({ ok: true });
    expect(limiter.take("a", t + 100).ok).toBe(false);
  });

  it("keeps keys apart", () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 });
    expect(limiter.take("a", 0).ok).toBe(true);
    expect(limiter.take("a", 0).ok).toBe(false);
    expect(limiter.take("b", 0).ok).toBe(true);
  });

  it("refills at the rate, up to the burst and no further", () => {
    const limiter = new RateLimiter({ ratePerSecond: 100, burst: 5 });
    for (let i = 0; i < 5; i++) expect(limiter.take("k", 0).ok).toBe(true);
    expect(limiter.take("k", 0).ok).toBe(false);
    // An hour idle saves up 5 tokens, not 360,000.
    const later = 3_600_000;
    let granted = 0;
    while (limiter.take("k", later).ok) granted++;
    expect(granted).toBe(5);
  });

  it("sustains the rate over time", () => {
    const limiter = new RateLimiter({ ratePerSecond: 50, burst: 1 });
    let granted = 0;
    for (let ms = 0; ms < 10_000; ms++) if (limiter.take("k", ms).ok) granted++;
    expect(granted).toBeGreaterThanOrEqual(499);
    expect(granted).toBeLessThanOrEqual(501);
  });

  it("is off at rate 0", () => {
    const limiter = new RateLimiter({ ratePerSecond: 0 });
    expect(limiter.enabled).toBe(false);
    for (let i = 0; i < 10_000; i++) expect(limiter.take("k", 0).ok).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it("defaults the burst to two seconds' worth", () => {
    expect(new RateLimiter({ ratePerSecond: 200 }).burst).toBe(400);
    expect(new RateLimiter({ ratePerSecond: 0.1 }).burst).toBe(1);
  });

  it("tracks at most maxKeys, dropping the least recently used", () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 3 });
    limiter.take("a", 0);
    limiter.take("b", 0);
    limiter.take("c", 0);
    limiter.take("a", 0); // a is now the most recent (and refused: its token is spent)
    limiter.take("d", 0); // drops b
    expect(limiter.size).toBe(3);
    expect(limiter.take("a", 0).ok).toBe(false); // still tracked
    expect(limiter.take("b", 0).ok).toBe(true); // forgotten, so a fresh bucket
    for (let i = 0; i < 100_000; i++) limiter.take(`k${i}`, 0);
    expect(limiter.size).toBe(3);
  });

  it("does not refill when the clock goes backwards", () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 });
    expect(limiter.take("k", 10_000).ok).toBe(true);
    expect(limiter.take("k", 5_000).ok).toBe(false);
    expect(limiter.take("k", 10_500).ok).toBe(false);
    expect(limiter.take("k", 11_000).ok).toBe(true);
  });

  it("shares one limiter per name and rate in the process", () => {
    const a = sharedRateLimiter("test", { ratePerSecond: 7 });
    expect(sharedRateLimiter("test", { ratePerSecond: 7 })).toBe(a);
    expect(sharedRateLimiter("test", { ratePerSecond: 8 })).not.toBe(a);
    expect(sharedRateLimiter("other", { ratePerSecond: 7 })).not.toBe(a);
  });
});
