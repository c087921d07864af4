/** Labelled data for the train and infer tests: seeded Gaussian blobs, nothing downloaded. */
import { createRng } from "@/workers/kinds/random";
import type { ClassifierModel } from "@/workers/kinds/train";

export interface Labelled {
  embeddings: number[][];
  labels: string[];
}

/**
 * `perCenter` points around each of `classes × centersPerClass` centres in `dim` dimensions
 * (centres ~ N(0, spread²), points ~ centre + N(0, 1)). Centres come from `centerSeed`, points
 * from `seed`: the same centres with another seed give a held-out set from the same
 * distribution. With two centres per class, classes are not linearly separable as a whole.
 */
export function blobs(opts: { seed: number; perCenter: number; classes: number; dim: number; centersPerClass?: number; spread?: number; centerSeed?: number }): Labelled {
  const { seed, perCenter, classes, dim, centersPerClass = 1, spread = 1, centerSeed = 7 } = opts;
  const cr = createRng(centerSeed);
  const centers = Array.from({ length: classes * centersPerClass }, () => Array.from({ length: dim }, () => cr.normal() * spread));
  const r = createRng(seed);
  const out: Labelled = { embeddings: [], labels: [] };
  for (let i = 0; i < perCenter; i++) {
    centers.forEach((c, j) => {
      out.embeddings.push(c.map((v) => v + r.normal()));
      out.labels.push(`class-${j % classes}`);
    });
  }
  return out;
}

/** Fraction of rows whose most probable class (of `probabilities`, row-major) is the label. */
export function accuracy(model: Pick<ClassifierModel, "classes">, probabilities: ArrayLike<number>, labels: string[]): number {
  const k = model.classes.length;
  let ok = 0;
  labels.forEach((label, r) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[r * k + c]! > probabilities[r * k + best]!) best = c;
    if (model.classes[best] === label) ok++;
  });
  return ok / labels.length;
}
