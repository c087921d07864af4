/**
 * One task run of a flow run: where it stands, what it took in (its arguments and the task runs
 * whose results fed it) and what it handed on (its result, the task runs that consumed it), its
 * state history and its log lines. Kept fresh while it is active.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { AutoRefresh } from "@/app/_components/auto-refresh";
import { LocalTime } from "@/app/_components/local-time";
import { LogView } from "@/app/_components/log-view";
import { StateBadge } from "@/app/_components/state-badge";
import { Tags } from "@/app/_components/tags";
import { formatDuration, runDuration } from "@/app/_lib/format";
import { taskRunHref } from "@/app/_lib/task-summary";
import type { RouterOutputs } from "@/app/_lib/trpc-types";
import { isTerminalState } from "@/server/engine/state-types";
import { serverCaller } from "@/server/api/server-caller";
import { JsonTree, RunResult } from "../../result-view";
import "../../run-page.css";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string; taskRunId: string }>;
type TaskRun = RouterOutputs["taskRuns"]["get"];

const LOG_LIMIT = 1000;

async function loadTask(id: string, taskRunId: string) {
  const api = await serverCaller();
  try {
    const [task, run] = await Promise.all([api.taskRuns.get({ id: taskRunId }), api.flowRuns.get({ id })]);
    // A task run is found under its own flow run only.
    if (task.flowRunId !== run.id) notFound();
    return { api, task, run };
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  }
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id, taskRunId } = await params;
  const { task, run } = await loadTask(id, taskRunId);
  return { title: `${task.name} (${run.name})` };
}

export default async function TaskRunPage({ params }: { params: Params }) {
  const { id, taskRunId } = await params;
  const { api, task, run } = await loadTask(id, taskRunId);
  const [history, neighbours, result, logs] = await Promise.all([
    api.taskRuns.history({ id: task.id }),
    api.taskRuns.neighbours({ id: task.id }),
    api.results.preview({ taskRunId: task.id }),
    api.logs.list({ taskRunId: task.id, limit: LOG_LIMIT }),
  ]);
  const now = new Date();
  const duration = runDuration(task, now);
  const active = !isTerminalState(task.stateType) && !isTerminalState(run.stateType);
  const failed = task.stateType === "FAILED" || task.stateType === "CRASHED";

  return (
    <>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/runs">Flow runs</Link> / {run.flowName} / <Link href={`/runs/${run.id}`}>{run.name}</Link> / task runs
          </div>
          <h1>
            {task.name}{" "}
            <span role="status" aria-label="Task run state" data-testid="task-run-state">
              <StateBadge type={task.stateType} name={task.stateName} />
            </span>
            {active ? <AutoRefresh /> : null}
          </h1>
        </div>
      </header>

      <section className="panel" aria-labelledby="task-details">
        <h2 id="task-details" className="visually-hidden">
          Details
        </h2>
        <dl className="details">
          <Detail term="Flow run">
            <Link href={`/runs/${run.id}`} data-testid="task-flow-run">
              {run.name}
            </Link>{" "}
            <StateBadge type={run.stateType} name={run.stateName} />
          </Detail>
          <Detail term="Task">
            <code>{task.taskKey}</code>
            {task.dynamicKey !== "0" ? <span className="muted"> (call {task.dynamicKey})</span> : null}
          </Detail>
          <Detail term="Kind">{task.kind ?? <span className="muted">code</span>}</Detail>
          <Detail term="Started">
            <LocalTime iso={task.startTime} seconds />
          </Detail>
          <Detail term="Ended">
            <LocalTime iso={task.endTime} seconds />
          </Detail>
          <Detail term="Duration">{duration === null ? <span className="muted">—</span> : formatDuration(duration)}</Detail>
          <Detail term="Attempts">{task.runCount}</Detail>
          <Detail term="Cache key">{task.cacheKey ? <code>{task.cacheKey}</code> : <span className="muted">none</span>}</Detail>
          <Detail term="Tags">
            <Tags tags={task.tags} />
          </Detail>
          <Detail term="Task run id">
            <code>{task.id}</code>
          </Detail>
        </dl>
        {task.stateMessage ? (
          <div className={`state-message${failed ? " state-message-failed" : ""}`} data-testid="state-message">
            {task.stateMessage}
          </div>
        ) : null}
      </section>

      <div className="grid-2">
        <section aria-labelledby="task-upstream">
          <h2 id="task-upstream">Upstream</h2>
          <TaskList runId={run.id} tasks={neighbours.upstream} label="Upstream task runs" empty="It consumed no other task's result." />
        </section>
        <section aria-labelledby="task-downstream">
          <h2 id="task-downstream">Downstream</h2>
          <TaskList runId={run.id} tasks={neighbours.downstream} label="Downstream task runs" empty="No task consumed its result." />
        </section>
      </div>

      <section aria-labelledby="task-inputs">
        <h2 id="task-inputs">Inputs</h2>
        {Object.keys(task.parameters).length ? (
          <div data-testid="task-inputs">
            <JsonTree value={task.parameters} label="Inputs" />
          </div>
        ) : (
          <p className="muted">No arguments.</p>
        )}
      </section>

      <section aria-labelledby="task-result">
        <h2 id="task-result">Result</h2>
        <RunResult preview={result} downloadHref={`${taskRunHref(run.id, task.id)}/result`} finished={isTerminalState(task.stateType)} />
      </section>

      <section aria-labelledby="task-logs">
        <h2 id="task-logs">Logs</h2>
        <LogView lines={logs.items} taskFilter={false} empty="No log lines from this task run." />
        {logs.nextCursor ? <p className="muted">The first {LOG_LIMIT.toLocaleString("en-US")} lines are shown.</p> : null}
      </section>

      <section aria-labelledby="task-history">
        <h2 id="task-history">State history</h2>
        {history.length === 0 ? (
          <p className="muted">No state changes recorded.</p>
        ) : (
          <ol className="timeline" data-testid="state-history">
            {history.map((h) => (
              <li key={h.id}>
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
    </>
  );
}

function TaskList({ runId, tasks, label, empty }: { runId: string; tasks: TaskRun[]; label: string; empty: string }) {
  if (tasks.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="task-links" aria-label={label}>
      {tasks.map((t) => (
        <li key={t.id}>
          <Link href={taskRunHref(runId, t.id)}>{t.name}</Link> <StateBadge type={t.stateType} name={t.stateName} />
        </li>
      ))}
    </ul>
  );
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
