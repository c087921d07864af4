"use client";
/**
 * A task's result: a summary for the kinds Baton knows — vectors; a trained classifier with its
 * loss and accuracy curves by epoch; a classifier's predictions as a table and, given the labels
 * it was trained on, a confusion matrix; clusters with their 2-D plot
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
  projection: { method?: "umap" | "pca"; points: [number, number][]; explained?: [number, number] };
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
interface Predictions {
  kind: "classifier";
  classes: string[];
  predictions: { label: string; score: number }[];
}
interface Pdf {
  metadata: { source: string; title: string | null; pageCount: number };
  chunks: { text?: string }[];
}

const has = <T,>(r: unknown, key: string): r is T => typeof r === "object" && r !== null && key in r;

/** How many chunk texts a PDF's summary previews. */
const PREVIEWS = 3;

const preview = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Rows of the predictions table shown. */
const PREDICTION_ROWS = 20;

function ConfusionMatrix({ classes, truth, predicted }: { classes: string[]; truth: string[]; predicted: string[] }) {
  const actual = [...new Set([...classes, ...truth])];
  const count = (t: string, p: string) => truth.reduce((n, label, i) => n + (label === t && predicted[i] === p ? 1 : 0), 0);
  const agree = truth.filter((t, i) => t === predicted[i]).length;
  return (
    <div className="table-wrap">
      <table aria-label="Confusion matrix" data-testid="confusion-matrix" className="confusion-matrix">
        <caption>
          Confusion matrix: rows the labels trained on, columns the predictions ({agree} of {truth.length} agree)
        </caption>
        <thead>
          <tr>
            <th scope="col">label \ predicted</th>
            {classes.map((c) => (
              <th key={c} scope="col" className="numeric">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {actual.map((t) => (
            <tr key={t}>
              <th scope="row">{t}</th>
              {classes.map((p) => (
                <td key={p} className={`numeric${t === p ? " diagonal" : ""}`}>
                  {count(t, p)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Summary({ result, seconds, texts, truth }: { result: unknown; seconds?: number; texts?: string[]; truth?: string[] }) {
  const took = seconds !== undefined ? ` in ${seconds.toFixed(2)} s` : "";
  if (has<Predictions>(result, "predictions") && (result as Predictions).kind === "classifier") {
    const predicted = result.predictions.map((p) => p.label);
    return (
      <>
        <p data-testid="result-summary">
          {result.predictions.length} predictions over {result.classes.length} classes{took}.
        </p>
        <div className="table-wrap">
          <table aria-label="Predictions" data-testid="predictions-table">
            <thead>
              <tr>
                <th scope="col" className="numeric">#</th>
                {texts ? <th scope="col">Text</th> : null}
                <th scope="col">Prediction</th>
                <th scope="col" className="numeric">Score</th>
                {truth ? <th scope="col">Trained on</th> : null}
              </tr>
            </thead>
            <tbody>
              {result.predictions.slice(0, PREDICTION_ROWS).map((p, i) => (
                <tr key={i}>
                  <td className="numeric">{i}</td>
                  {texts ? <td>{preview(texts[i] ?? "", 120)}</td> : null}
                  <td>{p.label}</td>
                  <td className="numeric">{p.score.toFixed(3)}</td>
                  {truth ? <td>{truth[i]}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {result.predictions.length > PREDICTION_ROWS ? <p className="muted">The first {PREDICTION_ROWS} of {result.predictions.length}: the rest are in the result JSON.</p> : null}
        {truth && truth.length === predicted.length ? <ConfusionMatrix classes={result.classes} truth={truth} predicted={predicted} /> : null}
      </>
    );
  }
  if (has<Clusters>(result, "projection") && has<Clusters>(result, "labels")) {
    const points: PlotPoint[] = result.projection.points.map(([x, y], i) => ({ x, y, cluster: result.labels[i] ?? 0, label: texts?.[i] }));
    const explained = result.projection.explained;
    const axes: [string, string] = explained
      ? [`component 1 (${(explained[0] * 100).toFixed(0)}% of variance)`, `component 2 (${(explained[1] * 100).toFixed(0)}%)`]
      : result.projection.method === "umap" ? ["UMAP 1", "UMAP 2"] : ["component 1", "component 2"];
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

/** `texts`: what the rows are (a plot's hover, a predictions table); `truth`: labels to compare predictions with. */
export function ResultView({ result, seconds, texts, truth }: { result: unknown; seconds?: number; texts?: string[]; truth?: string[] }) {
  return (
    <div className="task-result" data-testid="task-result">
      <Summary result={result} seconds={seconds} texts={texts} truth={truth} />
      <details>
        <summary>Result JSON</summary>
        <pre data-testid="result-json">{JSON.stringify(result)}</pre>
      </details>
    </div>
  );
}
