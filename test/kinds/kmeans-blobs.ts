/** Well-separated Gaussian blobs with known labels, for the k-means and silhouette tests. */
import { createRng } from "@/workers/kinds/random";

export function blobs(k: number, perBlob: number, dim: number, seed = 1, spread = 0.4) {
  const rng = createRng(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: dim }, () => rng.next() * 20 - 10));
  const points = new Float32Array(k * perBlob * dim);
  const labels: number[] = [];
  let row = 0;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < perBlob; i++, row++) {
      for (let j = 0; j < dim; j++) points[row * dim + j] = centres[c]![j]! + rng.normal() * spread;
      labels.push(c);
    }
  }
  return { points, labels, dim };
}
