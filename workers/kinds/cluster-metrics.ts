/**
 * Normalised mutual information between two labellings, with the arithmetic-mean normalisation
 * (scikit-learn's default), so figures compare with what others report. Used by the tests and
 * bench/nmi.ts to score clusters against the documents they came from.
 */
export function nmi(truth: ArrayLike<number | string>, predicted: ArrayLike<number>): number {
  const n = truth.length;
  if (n !== predicted.length) throw new Error(`nmi: ${n} true labels for ${predicted.length} predictions`);
  const joint = new Map<string, number>();
  const a = new Map<number | string, number>();
  const b = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    a.set(t, (a.get(t) ?? 0) + 1);
    b.set(p, (b.get(p) ?? 0) + 1);
    const key = `${String(t)}\u0000${p}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
  }
  const entropy = (counts: Map<unknown, number>) => {
    let h = 0;
    for (const c of counts.values()) h -= (c / n) * Math.log(c / n);
    return h;
  };
  let mi = 0;
  for (const [key, c] of joint) {
    const [t, p] = key.split("\u0000") as [string, string];
    const ta = a.get(typeof truth[0] === "number" ? Number(t) : t)!;
    const pb = b.get(Number(p))!;
    mi += (c / n) * Math.log((n * c) / (ta * pb));
  }
  const ha = entropy(a);
  const hb = entropy(b);
  if (ha === 0 && hb === 0) return 1;
  const denom = (ha + hb) / 2;
  return denom > 0 ? Math.max(0, mi / denom) : 0;
}
