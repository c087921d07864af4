"use client";
/**
 * A task's result: a summary for the kinds Baton knows (vectors, clusters with their 2-D plot),
 * and the whole result as JSON.
 */
import { ClusterPlot, type PlotPoint } from "./cluster-plot";

interface Vectors {
  vectors: number[][];
  dimensions: number;
  device?: string;
  encoder?: string;
  model?: string;
}

function isVectors(r: unknown): r is Vectors {
  return typeof r === "object" && r !== null && Array.isArray((r as Vectors).vectors);
}

/** Cluster results carry 2-D points with their cluster label; the field names are the cluster kind's. */
function plotPoints(r: unknown): PlotPoint[] | undefined {
  const res = r as { projection?: number[][]; labels?: number[]; assignments?: number[] } | null;
  const labels = res?.labels ?? res?.assignments;
  if (!res?.projection || !labels) return undefined;
  return res.projection.map(([x, y], i) => ({ x: x ?? 0, y: y ?? 0, cluster: labels[i] ?? 0 }));
}

export function ResultView({ result, seconds }: { result: unknown; seconds?: number }) {
  const points = plotPoints(result);
  return (
    <div className="workbench-result" data-testid="task-result">
      {isVectors(result) && (
        <p data-testid="result-summary">
          {result.vectors.length} vectors of {result.dimensions} dimensions ({result.encoder} encoder
          {result.model ? `, ${result.model}` : ""}) on {result.device}
          {seconds !== undefined && ` in ${seconds.toFixed(2)} s`}.
        </p>
      )}
      {points && <ClusterPlot points={points} />}
      <details>
        <summary>Result JSON</summary>
        <pre data-testid="result-json">{JSON.stringify(result)}</pre>
      </details>
    </div>
  );
}
