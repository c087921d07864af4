"use client";
/**
 * A task's result: a summary for the kinds Baton knows (vectors, clusters with their 2-D plot,
 * PDF pages and chunks), and the whole result as JSON.
 */
import { ClusterPlot, type PlotPoint } from "./cluster-plot";

interface Vectors {
  vectors: number[][];
  dimensions: number;
  device?: string;
  encoder?: string;
  model?: unknown;
}
interface Clusters {
  k: number;
  labels: number[];
  silhouette: number;
  projection: { points: [number, number][] };
  clusters: { id: number; size: number; terms: { term: string }[] }[];
}
interface Pdf {
  metadata: { source: string; title: string | null; pageCount: number };
  chunks: unknown[];
}

const has = <T,>(r: unknown, key: string): r is T => typeof r === "object" && r !== null && key in r;

function Summary({ result, seconds }: { result: unknown; seconds?: number }) {
  const took = seconds !== undefined ? ` in ${seconds.toFixed(2)} s` : "";
  if (has<Clusters>(result, "projection") && has<Clusters>(result, "labels")) {
    const points: PlotPoint[] = result.projection.points.map(([x, y], i) => ({ x, y, cluster: result.labels[i] ?? 0 }));
    return (
      <>
        <p data-testid="result-summary">
          {result.labels.length} texts in {result.k} clusters (silhouette {result.silhouette.toFixed(3)}){took}.
        </p>
        <ClusterPlot points={points} />
        <ul>
          {result.clusters.map((c) => (
            <li key={c.id}>
              cluster {c.id} ({c.size}): {c.terms.slice(0, 5).map((t) => t.term).join(", ")}
            </li>
          ))}
        </ul>
      </>
    );
  }
  if (has<Vectors>(result, "vectors")) {
    return (
      <p data-testid="result-summary">
        {result.vectors.length} vectors of {result.dimensions} dimensions ({result.encoder} encoder
        {typeof result.model === "string" ? `, ${result.model}` : ""}){result.device ? ` on ${result.device}` : ""}{took}.
      </p>
    );
  }
  if (has<Pdf>(result, "metadata") && has<Pdf>(result, "chunks")) {
    return (
      <p data-testid="result-summary">
        {result.metadata.source}: {result.metadata.pageCount} pages, {result.chunks.length} chunks
        {result.metadata.title ? ` — “${result.metadata.title}”` : ""}{took}.
      </p>
    );
  }
  return null;
}

export function ResultView({ result, seconds }: { result: unknown; seconds?: number }) {
  return (
    <div className="workbench-result" data-testid="task-result">
      <Summary result={result} seconds={seconds} />
      <details>
        <summary>Result JSON</summary>
        <pre data-testid="result-json">{JSON.stringify(result)}</pre>
      </details>
    </div>
  );
}
