/**
 * Deployments: a flow plus where, when and how it runs, each linking to its page, with a Run
 * button and "New deployment" for editors and owners. After a delete it says how many scheduled
 * runs were withdrawn (the detail page sends `?deleted=&withdrawn=`).
 */
import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState, Snippet } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { RunButton } from "@/app/_components/run-button";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { pluralise } from "@/app/_lib/format";
import { nextRunTime } from "@/app/_lib/schedules";
import { getViewer } from "@/app/_lib/viewer";
import { describeSchedule } from "@/common/schedule-description";
import { serverCaller } from "@/server/api/server-caller";
import { Tags } from "@/app/_components/tags";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Deployments" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const firstOf = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function DeploymentsPage({ searchParams }: { searchParams: SearchParams }) {
  const [api, viewer, query] = await Promise.all([serverCaller(), getViewer(), searchParams]);
  const deleted = firstOf(query.deleted);
  const withdrawn = Number(firstOf(query.withdrawn) ?? 0);
  const deployments = await api.deployments.list({});
  const now = new Date();

  return (
    <>
      <header className="page-header">
        <div>
          <h1>Deployments</h1>
          <p>Flows with a place to run, default parameters and schedules.</p>
        </div>
        {viewer.canEdit && deployments.length > 0 ? (
          <Link className="button button-primary" href="/deployments/new">
            New deployment
          </Link>
        ) : null}
      </header>
      {deleted ? (
        <p className="notice" role="status" data-testid="deployment-deleted">
          Deleted {deleted}.{" "}
          {withdrawn > 0
            ? `${pluralise(withdrawn, "scheduled run")} ${withdrawn === 1 ? "was" : "were"} withdrawn (cancelled).`
            : "No scheduled run was waiting."}
        </p>
      ) : null}
      {deployments.length === 0 ? (
        <EmptyState title="No deployments yet" testId="deployments-empty">
          {viewer.canEdit ? (
            <p>
              <Link className="button button-primary" href="/deployments/new">
                New deployment
              </Link>{" "}
              makes one here; or from the command line or the API:
            </p>
          ) : (
            <p>Editors and owners of this workspace can make one; it then appears here.</p>
          )}
          <p>
            A deployment makes a flow runnable from anywhere: it names the work pool (and queue) its runs go to,
            default parameters and their JSON schema, tags, and schedules (cron with a timezone, or an interval).
            Runs of a deployment are picked up by the workers of its pool.
          </p>
          <DeploymentHowTo baseUrl={await requestBaseUrl()} />
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table aria-label="Deployments">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Work pool / queue</th>
                <th scope="col">Schedules</th>
                <th scope="col">Next run</th>
                <th scope="col">Tags</th>
                <th scope="col">Status</th>
                {viewer.canEdit ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {deployments.map((d) => {
                const fullName = `${d.flowName}/${d.name}`;
                const next = d.paused
                  ? null
                  : d.schedules
                      .map((s) => nextRunTime(s, now))
                      .filter((t): t is Date => t !== null)
                      .sort((a, b) => a.getTime() - b.getTime())[0];
                return (
                  <tr key={d.id} data-testid="deployment-row" data-deployment={fullName}>
                    <td>
                      <Link href={`/deployments/${d.id}`} className="cell-main nowrap">
                        <span className="muted">{d.flowName}/</span>
                        {d.name}
                      </Link>
                      {d.description ? <div className="cell-sub">{d.description}</div> : null}
                      {d.version ? <div className="cell-sub">version {d.version}</div> : null}
                    </td>
                    <td>
                      {d.workPoolName ? (
                        <>
                          {d.workPoolName}
                          {d.workQueueName ? <span className="muted"> / {d.workQueueName}</span> : null}
                        </>
                      ) : (
                        <span className="muted">no pool</span>
                      )}
                    </td>
                    <td>
                      {d.schedules.length === 0 ? (
                        <span className="muted">none (runs on demand)</span>
                      ) : (
                        <ul className="plain-list">
                          {d.schedules.map((s) => (
                            <li key={s.id} className={s.active ? undefined : "muted"}>
                              {describeSchedule(s)}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>{next ? <LocalTime iso={next.toISOString()} relative /> : <span className="muted">—</span>}</td>
                    <td>
                      <Tags tags={d.tags} />
                    </td>
                    <td>
                      {d.paused ? (
                        <span className="badge badge-warn">Paused</span>
                      ) : (
                        <span className="badge badge-neutral">Active</span>
                      )}
                    </td>
                    {viewer.canEdit ? (
                      <td>
                        <RunButton deploymentId={d.id} label={fullName} paused={d.paused} />
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function DeploymentHowTo({ baseUrl }: { baseUrl: string }) {
  return (
    <>
      <Snippet label="1. Create a work pool for its runs (CLI)">{"baton work-pool create my-pool --type node"}</Snippet>
      <Snippet label="2. Create the deployment through the API (the flow is created with it)">{`curl -X POST ${baseUrl}/api/trpc/deployments.create \\
  -H 'content-type: application/json' \\
  -d '{"flow": "hello", "name": "daily", "workPool": "my-pool",
       "schedules": [{"cron": "0 8 * * *", "timezone": "UTC"}]}'`}</Snippet>
      <Snippet label="or from TypeScript, with Baton's typed client">{`import { createBatonClient } from "baton/client";

const baton = createBatonClient({ apiUrl: "${baseUrl}/api" });
await baton.deployments.create.mutate({ flow: "hello", name: "daily", workPool: "my-pool" });`}</Snippet>
    </>
  );
}
