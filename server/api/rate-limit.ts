/**
 * Request rate limits: a token bucket per key (an API key, a session, a remote address), in
 * process memory. Each bucket holds up to `burst` tokens and refills at `ratePerSecond`; a
 * request takes one, and with none left it is refused with the time until one is back.
 *
 * Memory is bounded: at most `maxKeys` buckets, the least recently used dropped first (a
 * dropped key starts again with a full bucket, which errs on the side of letting requests in).
 * With several server processes each keeps its own buckets.
 */

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimiterOptions {
  /** Tokens a second per key; 0 turns the limiter off. */
  ratePerSecond: number;
  /** The most tokens a key can save up (default: two seconds' worth, at least 1). */
  burst?: number;
  /** The most keys tracked at once (default 10,000). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  at: number;
}

export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly maxKeys: number;
  /** Insertion order is recency order: a key is moved to the end whenever it is used. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: RateLimiterOptions) {
    if (!(opts.ratePerSecond >= 0)) throw new Error("ratePerSecond must be 0 or more");
    this.ratePerSecond = opts.ratePerSecond;
    this.burst = Math.max(1, opts.burst ?? opts.ratePerSecond * 2);
    this.maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
  }

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`, or says how long until there is one. */
  take(key: string, now: number = Date.now()): RateDecision {
    if (!this.enabled) return { ok: true };
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      // A clock that went backwards refills nothing (and takes nothing away).
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (elapsed * this.ratePerSecond) / 1000);
      bucket.at = Math.max(bucket.at, now);
    } else {
      bucket = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / this.ratePerSecond)) };
  }
}

const KEY = Symbol.for("baton.rateLimiters");
type GlobalWithLimiters = typeof globalThis & { [KEY]?: Map<string, RateLimiter> };

/**
 * One limiter per process and purpose (`name`), on globalThis because Next.js can load this
 * module more than once. A different rate makes a new limiter (tests change it).
 */
export function sharedRateLimiter(name: string, opts: RateLimiterOptions): RateLimiter {
  const g = globalThis as GlobalWithLimiters;
  const all = (g[KEY] ??= new Map());
  const id = `${name}:${opts.ratePerSecond}:${opts.burst ?? ""}:${opts.maxKeys ?? ""}`;
  let limiter = all.get(id);
  if (!limiter) {
    limiter = new RateLimiter(opts);
    all.set(id, limiter);
  }
  return limiter;
}
