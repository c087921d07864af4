"use client";
/**
 * A task's result: a summary for the kinds Baton knows — vectors; a trained classifier with its
 * loss and accuracy curves by epoch; clusters with their 2-D plot
 * (hover text from the texts behind the points, a legend with each cluster's terms); PDF pages
 * and chunks with text previews — and the whole result as JSON.
 */
import { metricCharts } from "@/app/_lib/metrics";
import { ClusterPlot, type PlotPoint } from "./cluster-plot";
import { MetricChart } from "./metric-chart";
import "./tasks.css";

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
  projection: { points: [number, number][]; explained?: [number, number] };
  clusters: { id: number; size: number; terms: { term: string }[] }[];
}
interface Trained {
  model: { kind: string; classes: string[] };
  history: { epoch: number; loss: number; accuracy: number; valLoss: number; valAccuracy: number }[];
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  validation: { size: number; loss: number; accuracy: number };
}
interface Pdf {
  metadata: { source: string; title: string | null; pageCount: number };
  chunks: { text?: string }[];
}

const has = <T,>(r: unknown, key: string): r is T => typeof r === "object" && r !== null && key in r;

/** How many chunk texts a PDF's summary previews. */
const PREVIEWS = 3;

const preview = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

function Summary({ result, seconds, texts }: { result: unknown; seconds?: number; texts?: string[] }) {
  const took = seconds !== undefined ? ` in ${seconds.toFixed(2)} s` : "";
  if (has<Clusters>(result, "projection") && has<Clusters>(result, "labels")) {
    const points: PlotPoint[] = result.projection.points.map(([x, y], i) => ({ x, y, cluster: result.labels[i] ?? 0, label: texts?.[i] }));
    const explained = result.projection.explained;
    const axes: [string, string] = explained
      ? [`component 1 (${(explained[0] * 100).toFixed(0)}% of variance)`, `component 2 (${(explained[1] * 100).toFixed(0)}%)`]
      : ["component 1", "component 2"];
    const clusters = result.clusters.map((c) => ({ id: c.id, size: c.size, terms: c.terms.slice(0, 5).map((t) => t.term) }));
    return (
      <>
        <p data-testid="result-summary">
          {result.labels.length} texts in {result.k} clusters (silhouette {result.silhouette.toFixed(3)}){took}.
        </p>
        <ClusterPlot points={points} clusters={clusters} axes={axes} />
      </>
    );
  }
  if (has<Trained>(result, "history") && has<Trained>(result, "validation")) {
    const points = result.history.flatMap((h) => [
      { name: "loss", value: h.loss, step: h.epoch, timestamp: null },
      { name: "val_loss", value: h.valLoss, step: h.epoch, timestamp: null },
      { name: "accuracy", value: h.accuracy, step: h.epoch, timestamp: null },
      { name: "val_accuracy", value: h.valAccuracy, step: h.epoch, timestamp: null },
    ]);
    return (
      <>
        <p data-testid="result-summary">
          A {result.model.kind} classifier of {result.model.classes.length} classes: validation accuracy {(result.validation.accuracy * 100).toFixed(1)}% on{" "}
          {result.validation.size} examples, best epoch {result.bestEpoch} of {result.epochsRun}
          {result.stoppedEarly ? " (stopped early)" : ""}{took}.
        </p>
        <div className="metric-grid">
          {metricCharts(points).map((chart) => (
            <MetricChart key={chart.title} chart={chart} />
          ))}
        </div>
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
      <>
        <p data-testid="result-summary">
          {result.metadata.source}: {result.metadata.pageCount} pages, {result.chunks.length} chunks
          {result.metadata.title ? ` — “${result.metadata.title}”` : ""}{took}.
        </p>
        <ol className="text-previews" aria-label="First chunks" data-testid="text-previews">
          {result.chunks.slice(0, PREVIEWS).map((c, i) => (
            <li key={i}>{preview(c.text ?? "")}</li>
          ))}
        </ol>
      </>
    );
  }
  return null;
}

export function ResultView({ result, seconds, texts }: { result: unknown; seconds?: number; texts?: string[] }) {
  return (
    <div className="task-result" data-testid="task-result">
      <Summary result={result} seconds={seconds} texts={texts} />
      <details>
        <summary>Result JSON</summary>
        <pre data-testid="result-json">{JSON.stringify(result)}</pre>
      </details>
    </div>
  );
}
