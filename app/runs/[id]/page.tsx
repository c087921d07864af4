/**
 * One flow run: where it stands (live while it is active), what can be done about it (cancel,
 * retry: for editors and owners), why it waits, its task runs on a timeline, its metrics and
 * artifacts, state history and logs streaming in.
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
import { TaskTimeline } from "@/app/_components/task-timeline";
import { isLive } from "@/app/_lib/run-states";
import { runSignature } from "@/app/_lib/run-signature";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { RunArtifacts, RunMetrics } from "./run-artifacts";
import { RunDetails } from "./run-details";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

const LOG_LIMIT = 500;

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
  const [history, taskRuns, logs, artifacts, waiting] = await Promise.all([
    api.flowRuns.history({ id }),
    api.taskRuns.list({ flowRunId: id }),
    api.logs.list({ flowRunId: id, limit: LOG_LIMIT }),
    api.artifacts.list({ flowRunId: id, limit: 1000 }),
    run.stateType === "SCHEDULED" ? api.flowRuns.explain({ id }) : null,
  ]);
  const now = new Date();
  const live = isLive(run, now.getTime());
  const hasMetrics = artifacts.some((a) => a.type === "metrics");

  return (
    <RunLive
      runId={run.id}
      live={live}
      scheduledTime={run.scheduledTime}
      signature={runSignature(run, taskRuns, artifacts[0]?.id ?? null)}
      initialLogs={logs}
    >
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
        {viewer.canEdit ? <RunActions runId={run.id} runName={run.name} stateType={run.stateType} /> : null}
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
        <RunDetails run={run} now={now} />
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
        {taskRuns.length === 0 ? <p className="muted">No task runs yet.</p> : <TaskTimeline flowRun={run} taskRuns={taskRuns} now={now} />}
      </section>

      {hasMetrics ? (
        <section aria-labelledby="run-metrics">
          <h2 id="run-metrics">Metrics</h2>
          <RunMetrics artifacts={artifacts} />
        </section>
      ) : null}

      <section aria-labelledby="run-logs">
        <h2 id="run-logs">Logs</h2>
        <LiveLogs />
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
    </RunLive>
  );
}
