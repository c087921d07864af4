/**
 * Work pools: where runs wait for workers, with their workers, queues and waiting runs (each
 * saying why it waits). Editors and owners create pools and queues and change their limits,
 * priorities and pause state here.
 */
import type { Metadata } from "next";
import { AutoRefresh } from "@/app/_components/auto-refresh";
import { EmptyState, Snippet } from "@/app/_components/empty-state";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { waitingReasons } from "@/app/_components/runs-with-reasons";
import { pluralise } from "@/app/_lib/format";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { CreatePool } from "./pool-controls";
import { PoolDetail } from "./pool-detail";

/** Waiting runs shown (and explained, one query each) per pool. */
const WAITING_SHOWN = 10;

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Work pools" };

const TYPE_HINT = {
  browser: "browser tabs",
  node: "Node workers",
  process: "a command per run",
} as const;

export default async function WorkPoolsPage() {
  const [api, viewer] = await Promise.all([serverCaller(), getViewer()]);
  const pools = await api.workPools.list();
  const [queues, workers, waiting] = await Promise.all([
    Promise.all(pools.map((pool) => api.workQueues.list({ workPool: pool.id }))),
    Promise.all(pools.map((pool) => api.workers.list({ workPool: pool.id }))),
    Promise.all(
      pools.map(async (pool) => {
        const runs = (await api.flowRuns.list({ workPool: pool.id, states: ["SCHEDULED"], limit: WAITING_SHOWN })).items;
        return { runs, reasons: await waitingReasons(api, runs, WAITING_SHOWN) };
      }),
    ),
  ]);
  const now = Date.now();
  // Workers come and go by heartbeat: refresh often while any is online, now and then otherwise.
  const anyOnline = workers.some((list) => list.some((w) => w.status === "ONLINE"));

  return (
    <>
      <header className="page-header">
        <div>
          <h1>Work pools {pools.length ? <AutoRefresh intervalMs={anyOnline ? 5_000 : 15_000} poll /> : null}</h1>
          <p>Where runs wait until a worker of the pool claims them.</p>
        </div>
      </header>
      {viewer.canEdit ? <CreatePool /> : null}
      {pools.length === 0 ? (
        <EmptyState title="No work pools yet" testId="work-pools-empty">
          <p>
            {viewer.canEdit
              ? "Create one with the form above, then start a worker for it."
              : "Editors and owners of this workspace can create one; it then appears here."}
          </p>
          <p>
            A work pool is where runs go to be picked up: <strong>browser</strong> pools are served by open Baton tabs,{" "}
            <strong>node</strong> pools by Node workers (CPU or GPU machines), <strong>process</strong> pools run a
            command per run. Each pool has queues with priorities and concurrency limits.
          </p>
          <Snippet label="Create one with the CLI">{"baton work-pool create my-pool --type node"}</Snippet>
          <Snippet label="or through the API">{`curl -X POST ${await requestBaseUrl()}/api/trpc/workPools.create \\
  -H 'content-type: application/json' \\
  -d '{"name": "my-pool", "type": "node"}'`}</Snippet>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table aria-label="Work pools">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col" className="numeric">
                  Concurrency
                </th>
                <th scope="col">Workers</th>
                <th scope="col">Queues</th>
              </tr>
            </thead>
            <tbody>
              {pools.map((pool, i) => {
                const poolQueues = [...(queues[i] ?? [])].sort((a, b) => a.priority - b.priority);
                return (
                  <tr key={pool.id} data-testid="work-pool-row">
                    <td>
                      <div className="cell-main">{pool.name}</div>
                      {pool.description ? <div className="cell-sub">{pool.description}</div> : null}
                    </td>
                    <td>
                      {pool.type} <span className="cell-sub">({TYPE_HINT[pool.type]})</span>
                    </td>
                    <td>
                      {pool.paused ? (
                        <span className="badge badge-warn">Paused</span>
                      ) : (
                        <span className="badge badge-neutral">Ready</span>
                      )}
                    </td>
                    <td className="numeric">{pool.concurrencyLimit ?? <span className="muted">unlimited</span>}</td>
                    <td>
                      {(() => {
                        const list = workers[i] ?? [];
                        const online = list.filter((w) => w.status === "ONLINE").length;
                        return list.length ? `${online} online of ${list.length}` : <span className="muted">none</span>;
                      })()}
                    </td>
                    <td>
                      <div>{pluralise(poolQueues.length, "queue")}</div>
                      <div className="cell-sub">
                        {poolQueues
                          .map((q) => `${q.name} (priority ${q.priority}${q.paused ? ", paused" : ""})`)
                          .join(", ")}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {pools.map((pool, i) => (
        <PoolDetail
          key={pool.id}
          pool={pool}
          workers={workers[i] ?? []}
          queues={[...(queues[i] ?? [])].sort((a, b) => a.priority - b.priority)}
          waiting={waiting[i] ?? { runs: [], reasons: new Map() }}
          canEdit={viewer.canEdit}
          canDefineExecution={viewer.isOwner}
          now={now}
        />
      ))}
    </>
  );
}
