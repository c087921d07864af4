/** The one retry-delay function (common/retry-delay.ts) that the engine and the SDK both use. */
import { describe, expect, test } from "vitest";
import { retryDelayMs } from "../../common/retry-delay";
import { retryDelayMs as engineRetryDelayMs } from "../../server/engine/retries";

const never = () => {
  throw new Error("random drawn without jitter");
};

describe("retryDelayMs", () => {
  test.each([
    [{ delaySeconds: 2, backoff: 3 }, 1, 2000],
    [{ delaySeconds: 2, backoff: 3 }, 2, 6000],
    [{ delaySeconds: 2, backoff: 3 }, 3, 18000],
    [{ delaySeconds: 2 }, 4, 2000],
    [{ delaySeconds: 2, backoff: 0.5 }, 3, 2000],
    [{ delaySeconds: 1.5, backoff: 2 }, 0, 1500],
    [{}, 3, 0],
    [{ delaySeconds: -5 }, 1, 0],
  ])("%j after attempt %i → %i ms", (policy, attempt, ms) => {
    expect(retryDelayMs(policy, attempt, never)).toBe(ms);
  });

  test("jitter spreads the delay by ± its fraction, capped at 1", () => {
    expect(retryDelayMs({ delaySeconds: 10, jitter: 0.5 }, 1, () => 0)).toBe(5000);
    expect(retryDelayMs({ delaySeconds: 10, jitter: 0.5 }, 1, () => 0.5)).toBe(10000);
    expect(retryDelayMs({ delaySeconds: 10, jitter: 0.5 }, 1, () => 1)).toBe(15000);
    expect(retryDelayMs({ delaySeconds: 10, jitter: 3 }, 1, () => 1)).toBe(20000);
    expect(retryDelayMs({ delaySeconds: 10, jitter: 3 }, 1, () => 0)).toBe(0);
    expect(retryDelayMs({ delaySeconds: 10, jitter: -1 }, 1, never)).toBe(10000);
  });

  test("the engine's run policy reads through the same function", () => {
    const policy = { runCount: 3, maxRetries: 3, retryDelaySeconds: 2, retryBackoff: 3, retryJitter: 0.25 };
    expect(engineRetryDelayMs(policy, () => 0)).toBe(retryDelayMs({ delaySeconds: 2, backoff: 3, jitter: 0.25 }, 3, () => 0));
    expect(engineRetryDelayMs(policy, () => 0)).toBe(13500);
  });
});
