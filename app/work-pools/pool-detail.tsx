/**
 * One work pool in detail: its workers (online or not, last heartbeat, what they can run), its
 * queues in the order workers drain them (lowest priority number first), with their limits, and
 * the runs waiting in it, each with why. Editors and owners change limits, priorities and
 * pause/resume here (pool-controls.tsx).
 *
 * Offline workers age out: one silent for longer than WORKER_AGE_OUT_MS is no longer listed with
 * the others, only counted (and shown on request), so a pool's list is the workers it has now,
 * not every name that ever registered. The rows stay in the database (a worker restarted under
 * its name takes its row back).
 */
import { LocalTime } from "@/app/_components/local-time";
import { RunsWithReasons } from "@/app/_components/runs-with-reasons";
import { pluralise } from "@/app/_lib/format";
import type { FlowRun, RouterOutputs, WorkPool } from "@/app/_lib/trpc-types";
import { CodeCellsSetting, CreateQueue, PoolSettings, QueueSettings } from "./pool-controls";

/** An offline worker silent for longer than this is aged out of the list. */
export const WORKER_AGE_OUT_MS = 24 * 3_600_000;

/** Split a pool's workers into those listed and those aged out (offline and silent too long). */
export function ageOutWorkers<W extends { status: string; lastHeartbeatAt: string }>(workers: W[], now: number): { listed: W[]; agedOut: W[] } {
  const agedOut = workers.filter((w) => w.status !== "ONLINE" && now - Date.parse(w.lastHeartbeatAt) > WORKER_AGE_OUT_MS);
  return { listed: workers.filter((w) => !agedOut.includes(w)), agedOut };
}

type Worker = RouterOutputs["workers"]["list"][number];
type Queue = RouterOutputs["workQueues"]["list"][number];

/** `{ gpu: true, cuda: "12.4", memoryGb: 80 }` → ["GPU", "cuda 12.4", "memoryGb 80"]. */
export function capabilityLabels(capabilities: Record<string, unknown>): string[] {
  return Object.entries(capabilities).flatMap(([key, value]) => {
    if (value === false || value === null || value === undefined) return [];
    const name = key.toLowerCase() === "gpu" ? "GPU" : key;
    if (value === true) return [name];
    if (typeof value === "string" || typeof value === "number") return [`${name} ${value}`];
    if (Array.isArray(value)) return [`${name} ${value.join(", ")}`];
    return [`${name} ${JSON.stringify(value)}`];
  });
}

export function PoolDetail({
  pool,
  workers: allWorkers,
  queues,
  waiting,
  canEdit,
  canDefineExecution,
  now,
}: {
  pool: WorkPool;
  workers: Worker[];
  queues: Queue[];
  /** Runs waiting in the pool, with why each waits. */
  waiting: { runs: FlowRun[]; reasons: Map<string, string> };
  canEdit: boolean;
  /** Owners: may change what the pool's workers execute (its code-cells setting). */
  canDefineExecution: boolean;
  now: number;
}) {
  const headingId = `pool-${pool.id}`;
  const online = allWorkers.filter((w) => w.status === "ONLINE").length;
  const { listed: workers, agedOut } = ageOutWorkers(allWorkers, now);
  return (
    <section className="panel pool-detail" id={headingId} aria-labelledby={`${headingId}-title`} data-testid="work-pool-detail">
      <h2 id={`${headingId}-title`}>
        {pool.name} <span className="cell-sub">{pluralise(online, "worker")} online</span>
        {pool.paused ? (
          <>
            {" "}
            <span className="badge badge-warn">Paused</span>
          </>
        ) : null}
      </h2>
      {canEdit ? <PoolSettings pool={pool} /> : null}
      {pool.type === "node" ? (
        canDefineExecution ? (
          <CodeCellsSetting pool={pool} />
        ) : (
          <p className="muted" data-testid="pool-code-cells">
            {pool.baseJobTemplate.codeCells === true ? "Runs notebook code cells." : "Does not run notebook code cells (an owner can allow it)."}
          </p>
        )
      ) : null}
      <h3>Workers</h3>
      {workers.length === 0 ? (
        <p className="muted">
          {agedOut.length ? "No worker has been here for a day. " : "No worker has registered with this pool. "}
          Start one with <code>baton worker start --pool {pool.name}</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label={`Workers of ${pool.name}`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Capabilities</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => {
                const labels = capabilityLabels(w.capabilities);
                return (
                  <tr key={w.id} data-testid="worker-row">
                    <td className="cell-main">{w.name}</td>
                    <td>
                      <span className={`badge ${w.status === "ONLINE" ? "badge-completed" : "badge-cancelled"}`} data-testid="worker-status">
                        {w.status === "ONLINE" ? "Online" : "Offline"}
                      </span>
                      {w.stoppedAt ? <div className="cell-sub">said goodbye</div> : null}
                    </td>
                    <td>
                      <LocalTime iso={w.lastHeartbeatAt} seconds relative />
                    </td>
                    <td>
                      {labels.length ? (
                        <span className="tags">
                          {labels.map((l) => (
                            <span key={l} className={`tag${l === "GPU" ? " tag-strong" : ""}`}>
                              {l}
                            </span>
                          ))}
                        </span>
                      ) : (
                        <span className="muted">none declared</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {agedOut.length ? (
        <details className="aged-out" data-testid="aged-out-workers">
          <summary>
            {pluralise(agedOut.length, "worker")} offline for more than a day, not listed above
          </summary>
          <ul className="plain-list">
            {agedOut.map((w) => (
              <li key={w.id}>
                {w.name} <span className="cell-sub">last heard from <LocalTime iso={w.lastHeartbeatAt} relative /></span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      <h3>Queues</h3>
      <div className="table-wrap">
        <table aria-label={`Queues of ${pool.name}`}>
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" className="numeric">
                Priority
              </th>
              <th scope="col" className="numeric">
                Concurrency limit
              </th>
              <th scope="col">Status</th>
              {canEdit ? <th scope="col">Change priority, limit</th> : null}
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.id} data-testid="queue-row">
                <td>
                  <div className="cell-main">{q.name}</div>
                  {q.description ? <div className="cell-sub">{q.description}</div> : null}
                </td>
                <td className="numeric">{q.priority}</td>
                <td className="numeric">{q.concurrencyLimit ?? <span className="muted">unlimited</span>}</td>
                <td>{q.paused ? <span className="badge badge-warn">Paused</span> : <span className="badge badge-neutral">Ready</span>}</td>
                {canEdit ? (
                  <td>
                    <QueueSettings pool={pool.id} queue={q} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit ? <CreateQueue pool={pool.id} poolName={pool.name} /> : null}
      <h3>Waiting runs</h3>
      {waiting.runs.length === 0 ? (
        <p className="muted">No run is waiting in this pool.</p>
      ) : (
        <RunsWithReasons runs={waiting.runs} reasons={waiting.reasons} label={`Runs waiting in ${pool.name}`} showDeployment />
      )}
    </section>
  );
}
