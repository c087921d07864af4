/**
 * Flow runs, newest first: filter by state through the query string (`?state=FAILED,CRASHED`),
 * and page through older runs with the API's cursor (`?cursor=…`). Plain links, so every view
 * has a URL and works before any JavaScript loads.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/app/_components/auto-refresh";
import { EmptyState, Snippet } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { formatDuration, runDuration } from "@/app/_lib/format";
import { isLive } from "@/app/_lib/run-states";
import { STATE_TYPES, type StateType } from "@/app/_lib/trpc-types";
import { serverCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Flow runs" };

const PAGE_SIZE = 50;

/** The filter chips: each a set of state types. */
const FILTERS: { label: string; states: StateType[] }[] = [
  { label: "All", states: [] },
  { label: "Scheduled", states: ["SCHEDULED"] },
  { label: "Pending", states: ["PENDING"] },
  { label: "Running", states: ["RUNNING"] },
  { label: "Paused", states: ["PAUSED"] },
  { label: "Completed", states: ["COMPLETED"] },
  { label: "Failed", states: ["FAILED", "CRASHED"] },
  { label: "Cancelled", states: ["CANCELLING", "CANCELLED"] },
];

type SearchParams = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `state=failed,CRASHED&state=running` → ["FAILED", "CRASHED", "RUNNING"]; unknown names reported. */
function parseStates(value: string | string[] | undefined): { states: StateType[]; unknown: string[] } {
  const raw = (Array.isArray(value) ? value : value ? [value] : [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().toUpperCase())
    .filter(Boolean);
  const states = raw.filter((v): v is StateType => (STATE_TYPES as readonly string[]).includes(v));
  const unknown = raw.filter((v) => !(STATE_TYPES as readonly string[]).includes(v));
  return { states: [...new Set(states)], unknown };
}

function runsHref(params: { states?: StateType[]; cursor?: string | null; flow?: string; deployment?: string }): string {
  const q = new URLSearchParams();
  if (params.states?.length) q.set("state", params.states.join(","));
  if (params.flow) q.set("flow", params.flow);
  if (params.deployment) q.set("deployment", params.deployment);
  if (params.cursor) q.set("cursor", params.cursor);
  const s = q.toString();
  return s ? `/runs?${s}` : "/runs";
}

const sameSet = (a: StateType[], b: StateType[]) => a.length === b.length && a.every((x) => b.includes(x));

export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const { states, unknown } = parseStates(params.state);
  const cursor = first(params.cursor);
  const flow = first(params.flow);
  const deployment = first(params.deployment);

  const api = await serverCaller();
  let page: Awaited<ReturnType<typeof api.flowRuns.list>>;
  try {
    page = await api.flowRuns.list({
      states: states.length ? states : undefined,
      flow,
      deployment,
      limit: PAGE_SIZE,
      cursor,
    });
  } catch (err) {
    // A hand-edited or stale link (bad cursor, unknown flow): say so instead of a server error.
    if (err instanceof TRPCError && (err.code === "BAD_REQUEST" || err.code === "NOT_FOUND")) {
      return (
        <>
          <header className="page-header">
            <div>
              <h1>Flow runs</h1>
            </div>
          </header>
          <EmptyState title="This list cannot be shown" testId="runs-bad-query">
            <p>{err.message}</p>
            <p>
              <Link href="/runs">See all runs, newest first</Link>
            </p>
          </EmptyState>
        </>
      );
    }
    throw err;
  }
  const now = new Date();
  const filtered = states.length > 0 || Boolean(flow) || Boolean(deployment);
  // Poll only while a run on this page is moving or about to; an idle list makes no requests.
  const live = page.items.some((run) => isLive(run, now.getTime()));

  return (
    <>
      <header className="page-header">
        <div>
          <h1>
            Flow runs {live ? <AutoRefresh /> : null}
          </h1>
          <p>
            Newest first
            {flow ? (
              <>
                {" "}
                · flow <strong>{flow}</strong>
              </>
            ) : null}
            {deployment ? (
              <>
                {" "}
                · deployment <strong>{deployment}</strong>
              </>
            ) : null}
            {flow || deployment ? (
              <>
                {" "}
                · <Link href={runsHref({ states })}>show all</Link>
              </>
            ) : null}
          </p>
        </div>
      </header>

      <nav className="filters" aria-label="Filter by state">
        {FILTERS.map((f) => (
          <Link
            key={f.label}
            className="filter"
            href={runsHref({ states: f.states, flow, deployment })}
            aria-current={sameSet(f.states, states) ? "true" : undefined}
          >
            {f.label}
          </Link>
        ))}
      </nav>
      {unknown.length ? (
        <p className="feedback-error" role="alert">
          Ignored unknown state{unknown.length > 1 ? "s" : ""} {unknown.join(", ")}; states are {STATE_TYPES.join(", ")}.
        </p>
      ) : null}

      {page.items.length === 0 ? (
        filtered || cursor ? (
          <EmptyState title="No runs match" testId="runs-empty-filtered">
            <p>
              No flow runs {states.length ? `in state ${states.join(" or ")}` : "match this filter"}
              {cursor ? " on this page" : ""}. <Link href="/runs">See all runs</Link>.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No flow runs yet" testId="runs-empty">
            <p>
              A flow run is one execution of a flow. Runs are created by a deployment&apos;s schedules, by the{" "}
              <strong>Run</strong> button on the <Link href="/deployments">Deployments</Link> page, or through the API;
              they wait as <em>Scheduled</em> until a worker of their pool claims them.
            </p>
            <Snippet label="Run a deployment with the CLI">{"baton deployment run hello/daily"}</Snippet>
            <Snippet label="or through the API">{`curl -X POST ${await requestBaseUrl()}/api/trpc/deployments.run \\
  -H 'content-type: application/json' \\
  -d '{"deployment": "hello/daily"}'`}</Snippet>
          </EmptyState>
        )
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Flow runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">State</th>
                  <th scope="col">Flow / deployment</th>
                  <th scope="col">Scheduled</th>
                  <th scope="col" className="numeric">
                    Duration
                  </th>
                  <th scope="col">Work pool</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((run) => {
                  const duration = runDuration(run, now);
                  return (
                    <tr key={run.id} data-testid="flow-run-row" data-run-id={run.id}>
                      <td>
                        <Link href={`/runs/${run.id}`} className="cell-main">
                          {run.name}
                        </Link>
                        {run.tags.length ? (
                          <div className="tags">
                            {run.tags.map((t) => (
                              <span key={t} className="tag">
                                {t}
                              </span>
                            ))}
                          </div>
                        ) : null}
                      </td>
                      <td>
                        <StateBadge type={run.stateType} name={run.stateName} />
                      </td>
                      <td>
                        <div>{run.flowName}</div>
                        <div className="cell-sub">{run.deploymentName ?? "no deployment"}</div>
                      </td>
                      <td>
                        <LocalTime iso={run.scheduledTime} />
                      </td>
                      <td className="numeric">
                        {duration === null ? <span className="muted">—</span> : formatDuration(duration)}
                      </td>
                      <td>
                        {run.workPoolName ?? <span className="muted">—</span>}
                        {run.workQueueName ? <span className="cell-sub"> / {run.workQueueName}</span> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <span>
              {cursor ? <Link href={runsHref({ states, flow, deployment })}>← Newest runs</Link> : null}
            </span>
            <span>
              {page.nextCursor ? (
                <Link className="button" href={runsHref({ states, flow, deployment, cursor: page.nextCursor })}>
                  Older runs →
                </Link>
              ) : (
                <span>{cursor ? "No older runs." : null}</span>
              )}
            </span>
          </nav>
        </>
      )}
    </>
  );
}
