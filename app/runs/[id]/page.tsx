/**
 * One flow run: where it stands (live while it is active), what can be done about it (cancel,
 * retry: for editors and owners), why it waits, its task runs as a graph and on a timeline, the
 * subflows it called (and the run that called it), a deployed notebook's cell outputs as the
 * notebook renders them, its result, metrics and artifacts, state
 * history and logs streaming in, filterable.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { LiveLogs } from "@/app/_components/live-logs";
import { LocalTime } from "@/app/_components/local-time";
import { RunActions } from "@/app/_components/run-actions";
import { LiveStateBadge } from "@/app/_components/live-state-badge";
import { RunLive } from "@/app/_components/run-live";
import { StateBadge } from "@/app/_components/state-badge";
import { TaskIndexProvider } from "@/app/_components/task-index";
import { isLive } from "@/app/_lib/run-states";
import { runSignature } from "@/app/_lib/run-signature";
import { summariseTask } from "@/app/_lib/task-summary";
import { getViewer } from "@/app/_lib/viewer";
import { isTerminalState } from "@/server/engine/state-types";
import { serverCaller } from "@/server/api/server-caller";
import { parsePipelineEntrypoint } from "@/common/notebook";
import { NotebookRunCells, notebookOfRun } from "@/app/notebooks/notebook-run-cells";
import { RunResult } from "./result-view";
import { RunArtifacts, RunMetrics } from "./run-artifacts";
import { RunDetails } from "./run-details";
import { SubflowRuns } from "./subflow-runs";
import { TaskRunsView } from "./task-runs-view";
import "./run-page.css";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

const LOG_LIMIT = 500;
/** Subflow runs listed on the page (the newest, in the order they were called). */
const SUBFLOW_LIMIT = 200;

async function loadRun(id: string) {
  const api = await serverCaller();
  try {
    return { api, run: await api.flowRuns.get({ id }) };
  } catch (err) {
    // A malformed id is as missing as an unknown one.
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  }
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  const { run } = await loadRun(id);
  return { title: `${run.name} (${run.flowName})` };
}

export default async function RunPage({ params }: { params: Params }) {
  const { id } = await params;
  const [{ api, run }, viewer] = await Promise.all([loadRun(id), getViewer()]);
  const [history, taskRuns, logs, artifacts, waiting, subflows, result, parent, deployment] = await Promise.all([
    api.flowRuns.history({ id }),
    api.taskRuns.list({ flowRunId: id }),
    api.logs.list({ flowRunId: id, limit: LOG_LIMIT }),
    api.artifacts.list({ flowRunId: id, limit: 1000 }),
    run.stateType === "SCHEDULED" ? api.flowRuns.explain({ id }) : null,
    api.flowRuns.list({ parentFlowRunId: id, limit: SUBFLOW_LIMIT }),
    api.results.preview({ flowRunId: id }),
    // The run that called this one, for its name (gone, or out of reach: the id alone is shown).
    run.parentFlowRunId ? api.flowRuns.get({ id: run.parentFlowRunId }).catch(() => null) : null,
    run.deploymentId ? api.deployments.get({ deployment: run.deploymentId }).catch(() => null) : null,
  ]);
  // A deployed notebook's run shows its cells' outputs as the notebook does.
  const pipeline = parsePipelineEntrypoint(deployment?.entrypoint);
  const notebook = pipeline ? await notebookOfRun(api, run.id, pipeline.notebookId, pipeline.version).catch(() => null) : null;
  const now = new Date();
  const live = isLive(run, now.getTime());
  const hasMetrics = artifacts.some((a) => a.type === "metrics");
  const tasks = taskRuns.map(summariseTask);

  return (
    <RunLive
      runId={run.id}
      live={live}
      scheduledTime={run.scheduledTime}
      signature={runSignature(run, taskRuns, artifacts[0]?.id ?? null)}
      initialLogs={logs}
    >
      <TaskIndexProvider runId={run.id} tasks={tasks}>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/runs">Flow runs</Link> / {run.flowName}
            {run.deploymentName ? ` / ${run.deploymentName}` : null}
          </div>
          <h1>
            {run.name}{" "}
            <span role="status" aria-label="Run state" data-testid="run-state">
              <LiveStateBadge type={run.stateType} name={run.stateName} version={run.stateVersion} />
            </span>
            {live ? (
              <span className="live-indicator" title="Updating every 2 s while this tab is visible">
                Live
              </span>
            ) : null}
          </h1>
        </div>
        {viewer.canEdit ? <RunActions runId={run.id} runName={run.name} stateType={run.stateType} stateVersion={run.stateVersion} /> : null}
      </header>

      {waiting?.waiting && waiting.reason ? (
        <p className="waiting-reason" data-testid="waiting-reason">
          <strong>Waiting:</strong> {waiting.reason}
        </p>
      ) : null}

      <section className="panel" aria-labelledby="run-details">
        <h2 id="run-details" className="visually-hidden">
          Details
        </h2>
        <RunDetails run={run} now={now} parent={parent} />
        {run.stateMessage ? (
          <div
            className={`state-message${run.stateType === "FAILED" || run.stateType === "CRASHED" ? " state-message-failed" : ""}`}
            data-testid="state-message"
          >
            {run.stateMessage}
          </div>
        ) : null}
      </section>

      <section aria-labelledby="run-tasks">
        <h2 id="run-tasks">Task runs</h2>
        {tasks.length === 0 ? (
          <p className="muted">No task runs yet.</p>
        ) : (
          <TaskRunsView flowRun={{ startTime: run.startTime, endTime: run.endTime }} now={now.toISOString()} />
        )}
      </section>

      {notebook ? (
        <section aria-labelledby="run-notebook" data-testid="run-notebook">
          <h2 id="run-notebook">Notebook outputs</h2>
          <p className="muted">
            Version {notebook.version} of notebook <Link href={`/notebooks/${notebook.id}`}>{notebook.name}</Link>, cell by cell as the notebook shows them.
          </p>
          <NotebookRunCells api={api} notebook={notebook} tasks={taskRuns} />
        </section>
      ) : null}

      {subflows.items.length ? (
        <section aria-labelledby="run-subflows">
          <h2 id="run-subflows">Subflow runs</h2>
          <SubflowRuns runs={[...subflows.items].reverse()} more={subflows.nextCursor !== null} now={now} />
        </section>
      ) : null}

      <section aria-labelledby="run-result">
        <h2 id="run-result">Result</h2>
        <RunResult preview={result} downloadHref={`/runs/${run.id}/result`} finished={isTerminalState(run.stateType)} />
      </section>

      {hasMetrics ? (
        <section aria-labelledby="run-metrics">
          <h2 id="run-metrics">Metrics</h2>
          <RunMetrics artifacts={artifacts} />
        </section>
      ) : null}

      <section aria-labelledby="run-logs">
        <h2 id="run-logs">Logs</h2>
        <LiveLogs runId={run.id} firstPage={LOG_LIMIT} />
      </section>

      <div className="grid-2">
        <section aria-labelledby="run-history">
          <h2 id="run-history">State history</h2>
          {history.length === 0 ? (
            <p className="muted">No state changes recorded.</p>
          ) : (
            <ol className="timeline" data-testid="state-history">
              {history.map((h, i) => (
                <li key={i}>
                  <StateBadge type={h.toType} name={h.toName} />
                  <span className="when">
                    <LocalTime iso={h.createdAt} seconds /> · by {h.actor}
                  </span>
                  {h.message ? <div className="message">{h.message}</div> : null}
                </li>
              ))}
            </ol>
          )}
        </section>

        <section aria-labelledby="run-parameters">
          <h2 id="run-parameters">Parameters</h2>
          {Object.keys(run.parameters).length ? (
            <pre className="block" data-testid="run-parameters">
              {JSON.stringify(run.parameters, null, 2)}
            </pre>
          ) : (
            <p className="muted">No parameters.</p>
          )}
        </section>
      </div>

      <section aria-labelledby="run-artifacts">
        <h2 id="run-artifacts">Artifacts</h2>
        <RunArtifacts runId={run.id} artifacts={artifacts} />
      </section>
      </TaskIndexProvider>
    </RunLive>
  );
}
