/** One flow run: where it stands, its parameters, how it got there (state history), its tasks and logs. */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import { formatDuration, levelName, runDuration } from "@/app/_lib/format";
import { serverCaller } from "@/server/api/server-caller";

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
  const { api, run } = await loadRun(id);
  const [history, taskRuns, logs] = await Promise.all([
    api.flowRuns.history({ id }),
    api.taskRuns.list({ flowRunId: id }),
    api.logs.list({ flowRunId: id, limit: LOG_LIMIT }),
  ]);
  const duration = runDuration(run, new Date());

  return (
    <>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/runs">Flow runs</Link> / {run.flowName}
            {run.deploymentName ? ` / ${run.deploymentName}` : null}
          </div>
          <h1>
            {run.name} <StateBadge type={run.stateType} name={run.stateName} />
          </h1>
        </div>
      </header>

      <section className="panel" aria-labelledby="run-details">
        <h2 id="run-details" className="visually-hidden">
          Details
        </h2>
        <dl className="details">
          <Detail term="Flow">
            <Link href={`/runs?flow=${encodeURIComponent(run.flowName)}`}>{run.flowName}</Link>
          </Detail>
          <Detail term="Deployment">
            {run.deploymentName ? (
              <Link href={`/runs?deployment=${encodeURIComponent(`${run.flowName}/${run.deploymentName}`)}`}>
                {run.deploymentName}
              </Link>
            ) : (
              <span className="muted">none</span>
            )}
          </Detail>
          <Detail term="Work pool / queue">
            {run.workPoolName ? `${run.workPoolName}${run.workQueueName ? ` / ${run.workQueueName}` : ""}` : <span className="muted">none</span>}
          </Detail>
          <Detail term="Scheduled">
            <LocalTime iso={run.scheduledTime} relative />
          </Detail>
          <Detail term="Started">
            <LocalTime iso={run.startTime} seconds />
          </Detail>
          <Detail term="Ended">
            <LocalTime iso={run.endTime} seconds />
          </Detail>
          <Detail term="Duration">{duration === null ? <span className="muted">—</span> : formatDuration(duration)}</Detail>
          <Detail term="Attempts">
            {run.runCount} {run.maxRetries ? <span className="muted">(up to {run.maxRetries} retries)</span> : null}
          </Detail>
          <Detail term="Priority">{run.priority}</Detail>
          <Detail term="Tags">
            {run.tags.length ? (
              <span className="tags">
                {run.tags.map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))}
              </span>
            ) : (
              <span className="muted">—</span>
            )}
          </Detail>
          {run.parentFlowRunId ? (
            <Detail term="Parent run">
              <Link href={`/runs/${run.parentFlowRunId}`}>{run.parentFlowRunId}</Link>
            </Detail>
          ) : null}
          {run.idempotencyKey ? <Detail term="Idempotency key">{run.idempotencyKey}</Detail> : null}
          <Detail term="Run id">
            <code>{run.id}</code>
          </Detail>
        </dl>
        {run.stateMessage ? (
          <div
            className={`state-message${run.stateType === "FAILED" || run.stateType === "CRASHED" ? " state-message-failed" : ""}`}
            data-testid="state-message"
          >
            {run.stateMessage}
          </div>
        ) : null}
      </section>

      <div className="grid-2">
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
      </div>

      <section aria-labelledby="run-tasks">
        <h2 id="run-tasks">Task runs</h2>
        {taskRuns.length === 0 ? (
          <p className="muted">No task runs yet.</p>
        ) : (
          <div className="table-wrap">
            <table aria-label="Task runs">
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">State</th>
                  <th scope="col">Started</th>
                  <th scope="col" className="numeric">
                    Duration
                  </th>
                </tr>
              </thead>
              <tbody>
                {taskRuns.map((t) => {
                  const d = runDuration(t, new Date());
                  return (
                    <tr key={t.id}>
                      <td>
                        <div className="cell-main">{t.name}</div>
                        <div className="cell-sub">{t.taskKey}</div>
                      </td>
                      <td>
                        <StateBadge type={t.stateType} name={t.stateName} />
                      </td>
                      <td>
                        <LocalTime iso={t.startTime} />
                      </td>
                      <td className="numeric">{d === null ? <span className="muted">—</span> : formatDuration(d)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="run-logs">
        <h2 id="run-logs">Logs</h2>
        {logs.items.length === 0 ? (
          <p className="muted">No logs yet. A worker sends them while the run executes.</p>
        ) : (
          <div className="logs">
            <table aria-label="Logs">
              <thead className="visually-hidden">
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Level</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {logs.items.map((log) => {
                  const level = levelName(log.level);
                  return (
                    <tr key={log.id}>
                      <td className="log-time">
                        <LocalTime iso={log.timestamp} seconds />
                      </td>
                      <td className={`log-level log-${level}`}>{level}</td>
                      <td className="log-message">{log.message}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {logs.nextCursor ? (
              <p className="muted" style={{ padding: "6px 14px", margin: 0 }}>
                Showing the first {LOG_LIMIT} lines.
              </p>
            ) : null}
          </div>
        )}
      </section>
    </>
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
