/**
 * What a run produced for people: a chart per metric (loss with val_loss, …) and the list of
 * its artifacts, with a download link for files (served by ./artifacts/[artifactId]).
 */
import { MetricChart } from "@/app/_components/metric-chart";
import { LocalTime } from "@/app/_components/local-time";
import { formatBytes } from "@/app/_lib/format";
import { metricCharts, metricPoints } from "@/app/_lib/metrics";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

type Artifact = RouterOutputs["artifacts"]["list"][number];

function fileInfo(artifact: Artifact): { name: string; size: number | null } | null {
  const data = artifact.data as { path?: unknown; resultId?: unknown; sizeBytes?: unknown } | null;
  if (artifact.type !== "file" || typeof data?.resultId !== "string") return null;
  const path = typeof data.path === "string" ? data.path : "file";
  return { name: path.split("/").pop() || path, size: typeof data.sizeBytes === "number" ? data.sizeBytes : null };
}

/** What the artifact holds, in a few words, for the list. */
function summary(artifact: Artifact): string {
  const data = artifact.data as Record<string, unknown> | null;
  if (artifact.type === "metrics" && Array.isArray(data?.points)) {
    const names = [...new Set((data.points as { name?: unknown }[]).map((p) => String(p?.name)))];
    return `${data.points.length} points: ${names.join(", ")}`;
  }
  if (data === null || data === undefined) return "";
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export function RunMetrics({ artifacts }: { artifacts: Artifact[] }) {
  const charts = metricCharts(metricPoints(artifacts));
  if (charts.length === 0) return <p className="muted">No metrics yet. Tasks report them with ctx.metric(name, value, step).</p>;
  return (
    <div className="metric-grid">
      {charts.map((chart) => (
        <MetricChart key={chart.title} chart={chart} />
      ))}
    </div>
  );
}

export function RunArtifacts({ runId, artifacts }: { runId: string; artifacts: Artifact[] }) {
  if (artifacts.length === 0) return <p className="muted">No artifacts.</p>;
  return (
    <div className="table-wrap">
      <table aria-label="Artifacts">
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Key</th>
            <th scope="col">Description</th>
            <th scope="col">Created</th>
            <th scope="col">Content</th>
          </tr>
        </thead>
        <tbody>
          {artifacts.map((a) => {
            const file = fileInfo(a);
            return (
              <tr key={a.id} data-testid="artifact-row">
                <td>
                  <span className="tag">{a.type}</span>
                </td>
                <td>{a.key ?? <span className="muted">—</span>}</td>
                <td>{a.description ?? <span className="muted">—</span>}</td>
                <td className="nowrap">
                  <LocalTime iso={a.createdAt} seconds />
                </td>
                <td className="artifact-summary">
                  {file ? (
                    <a href={`/runs/${runId}/artifacts/${a.id}`} download={file.name}>
                      Download {file.name}
                      {file.size !== null ? ` (${formatBytes(file.size)})` : ""}
                    </a>
                  ) : (
                    <span className="cell-sub">{summary(a)}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
