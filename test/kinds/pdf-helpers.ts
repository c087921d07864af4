/** Helpers for the pdf tests: a context that records, and text similarity against pdftotext. */
import type { TaskContext } from "@/workers/kinds/types";

export interface RecordingContext extends TaskContext {
  logs: { level: string; message: string }[];
  metrics: { name: string; value: number; step?: number }[];
  progressed: number[];
}

export function recordingContext(signal: AbortSignal = new AbortController().signal): RecordingContext {
  const ctx: RecordingContext = {
    logs: [],
    metrics: [],
    progressed: [],
    signal,
    log: (level, message) => void ctx.logs.push({ level, message }),
    metric: (name, value, step) => void ctx.metrics.push({ name, value, step }),
    progress: (fraction) => void ctx.progressed.push(fraction),
  };
  return ctx;
}

/** Words, compared case-folded after NFKC (ligatures such as “ﬁ” become “fi”). */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Multiset Jaccard of the words: Σ min(count) / Σ max(count). Order-blind. */
export function bagJaccard(a: string[], b: string[]): number {
  const count = (xs: string[]) => xs.reduce((m, w) => m.set(w, (m.get(w) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  let min = 0;
  let max = 0;
  for (const w of new Set([...ca.keys(), ...cb.keys()])) {
    min += Math.min(ca.get(w) ?? 0, cb.get(w) ?? 0);
    max += Math.max(ca.get(w) ?? 0, cb.get(w) ?? 0);
  }
  return max === 0 ? 1 : min / max;
}

/** Order-aware: 2·LCS(a, b) / (|a| + |b|) over words (1 = same words in the same order). */
export function sequenceSimilarity(a: string[], b: string[]): number {
  if (a.length + b.length === 0) return 1;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return (2 * prev[b.length]!) / (a.length + b.length);
}
