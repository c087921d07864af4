/**
 * One work pool in detail: its workers (online or not, last heartbeat, what they can run) and
 * its queues in the order workers drain them (priority 1 first), with their limits.
 */
import { LocalTime } from "@/app/_components/local-time";
import { pluralise } from "@/app/_lib/format";
import type { RouterOutputs, WorkPool } from "@/app/_lib/trpc-types";

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

export function PoolDetail({ pool, workers, queues }: { pool: WorkPool; workers: Worker[]; queues: Queue[] }) {
  const headingId = `pool-${pool.id}`;
  const online = workers.filter((w) => w.status === "ONLINE").length;
  return (
    <section className="panel pool-detail" aria-labelledby={headingId} data-testid="work-pool-detail">
      <h2 id={headingId}>
        {pool.name} <span className="cell-sub">{pluralise(online, "worker")} online</span>
      </h2>
      <h3>Workers</h3>
      {workers.length === 0 ? (
        <p className="muted">
          No worker has registered with this pool. Start one with <code>baton worker start --pool {pool.name}</code>.
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
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
