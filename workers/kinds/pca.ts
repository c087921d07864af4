/**
 * A 2-D projection for the plot: PCA by power iteration with deflation on the d×d covariance
 * matrix (Float64). d is the embedding size (≤ ~1k), so the covariance is cheap next to k-means,
 * and power iteration needs no linear-algebra library. Signs are fixed (largest component
 * positive) so the plot does not flip between runs or between Node and a browser.
 */
import { createRng } from "./random";

export interface Projection {
  /** n rows of [x, y]. */
  points: Float32Array;
  /** Fraction of the total variance each of the two axes explains. */
  explained: [number, number];
}

export function pca2d(points: Float32Array, dim: number): Projection {
  const n = points.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += points[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= Math.max(1, n);

  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = points[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b]!;
  let trace = 0;
  for (let a = 0; a < dim; a++) trace += cov[a * dim + a]!;

  const axes: Float64Array[] = [];
  const values: number[] = [];
  const rng = createRng(1234);
  for (let c = 0; c < Math.min(2, dim); c++) {
    const { vector, value } = topEigen(cov, dim, rng.normal);
    axes.push(vector);
    values.push(value);
    // Deflate so the next power iteration finds the next axis.
    for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) cov[a * dim + b]! -= value * vector[a]! * vector[b]!;
  }

  const out = new Float32Array(n * 2);
  axes.forEach((axis, c) => {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (points[i * dim + j]! - mean[j]!) * axis[j]!;
      out[i * 2 + c] = s;
    }
  });
  const share = (v: number | undefined) => (trace > 0 && v !== undefined ? Math.max(0, v) / trace : 0);
  return { points: out, explained: [share(values[0]), share(values[1])] };
}

function topEigen(matrix: Float64Array, dim: number, random: () => number): { vector: Float64Array; value: number } {
  let v = Float64Array.from({ length: dim }, random);
  normalise(v);
  let value = 0;
  for (let iter = 0; iter < 500; iter++) {
    const w = new Float64Array(dim);
    for (let a = 0; a < dim; a++) {
      let s = 0;
      for (let b = 0; b < dim; b++) s += matrix[a * dim + b]! * v[b]!;
      w[a] = s;
    }
    const norm = normalise(w);
    let delta = 0;
    for (let a = 0; a < dim; a++) delta = Math.max(delta, Math.abs(w[a]! - v[a]!));
    v = w;
    value = norm;
    if (norm === 0 || delta < 1e-10) break;
  }
  let largest = 0;
  for (let a = 0; a < dim; a++) if (Math.abs(v[a]!) > Math.abs(v[largest]!)) largest = a;
  if (v[largest]! < 0) for (let a = 0; a < dim; a++) v[a] = -v[a]!;
  return { vector: v, value };
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return norm;
}
