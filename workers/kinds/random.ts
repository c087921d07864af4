/**
 * Seeded pseudo-random numbers for the task kinds. Clustering and the SVD must give the same
 * answer for the same seed in Node and in a browser, so nothing here may touch Math.random.
 * mulberry32: 32-bit state, integer-only arithmetic (Math.imul), hence bit-identical everywhere.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller; uses two uniforms per call, no cached spare, so streams stay simple). */
  normal(): number;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next(); // (0, 1]: log(0) never happens
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}

/** A deterministic sample of m distinct indices from [0, n), in ascending order (partial Fisher–Yates). */
export function sampleIndices(n: number, m: number, rng: Rng): Int32Array {
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, m).sort();
}
