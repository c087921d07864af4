/**
 * Flow runs, newest first, filtered by a plain GET form (state, name, flow, deployment, pool,
 * tags, time range: see ./run-filters.ts for the query string) and paged through older runs with
 * the API's cursor (`?cursor=…`, kept with the filters). Plain links and forms, so every view has
 * a URL and works before any JavaScript loads.
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
import { STATE_TYPES } from "@/app/_lib/trpc-types";
import { serverCaller } from "@/server/api/server-caller";
import { describeFilters, isFiltered, readFilters, runsHref, toListInput, type RunFilters } from "./run-filters";
import { RunsFilterBar, STATE_CHOICES, type FilterChoices } from "./runs-filter-bar";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Flow runs" };

const PAGE_SIZE = 50;
/** The selects list this many flows; a workspace with more can still type one into the URL. */
const FLOW_CHOICES = 500;

type SearchParams = Record<string, string | string[] | undefined>;
type Api = Awaited<ReturnType<typeof serverCaller>>;

async function filterChoices(api: Api): Promise<FilterChoices> {
  const [flows, deployments, pools] = await Promise.all([
    api.flows.list({ limit: FLOW_CHOICES }),
    api.deployments.list(),
    api.workPools.list(),
  ]);
  return {
    flows: flows.items.map((f) => f.name),
    deployments: deployments.map((d) => ({ id: d.id, label: `${d.flowName}/${d.name}` })),
    pools: pools.map((p) => p.name),
  };
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

function Header({ live }: { live?: boolean }) {
  return (
    <header className="page-header">
      <div>
        <h1>Flow runs {live ? <AutoRefresh /> : null}</h1>
        <p>Newest first</p>
      </div>
    </header>
  );
}

/** Nothing matches: which filters are on, each with a link that drops it, and one that drops them all. */
function NoMatch({ filters, cursor, deploymentLabel }: { filters: RunFilters; cursor?: string; deploymentLabel?: string }) {
  const active = describeFilters(filters, { deployment: deploymentLabel });
  return (
    <EmptyState title="No runs match" testId="runs-empty-filtered">
      <p>
        No flow runs {active.length ? <>with {active.map((a) => a.text).join(", ")}</> : "match"}
        {cursor ? " on this page" : ""}.
      </p>
      {active.length > 1 ? (
        <>
          <p>Loosen a filter:</p>
          <ul className="loosen-filters" data-testid="runs-loosen">
            {active.map((a) => (
              <li key={a.key}>
                <Link href={runsHref(filters, { omit: a.key })}>without {a.text}</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <p>
        <Link href="/runs">Clear filters</Link> to see all runs, newest first.
      </p>
    </EmptyState>
  );
}

export default async function RunsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const { filters, problems } = readFilters(params);
  const cursor = Array.isArray(params.cursor) ? params.cursor[0] : params.cursor || undefined;
  const now = new Date();
  const filtered = isFiltered(filters);

  const api = await serverCaller();
  const listInput = toListInput(filters, now);
  const [choices, result] = await Promise.all([
    filterChoices(api),
    "error" in listInput
      ? Promise.resolve({ error: listInput.error })
      : api.flowRuns.list({ ...listInput.input, limit: PAGE_SIZE, cursor }).then(
          (page) => ({ page }),
          (err: unknown) => {
            // A hand-edited or stale link (bad cursor, unknown flow): say so instead of a server error.
            if (err instanceof TRPCError && (err.code === "BAD_REQUEST" || err.code === "NOT_FOUND")) return { error: err.message };
            throw err;
          },
        ),
  ]);
  const bar = <RunsFilterBar filters={filters} choices={choices} filtered={filtered} />;
  const notices = (
    <>
      {problems.unknownStates.length ? (
        <p className="feedback-error" role="alert">
          Ignored unknown state{problems.unknownStates.length > 1 ? "s" : ""} {problems.unknownStates.join(", ")}; states are {STATE_TYPES.join(", ")}.
        </p>
      ) : null}
      {problems.messages.map((m) => (
        <p key={m} className="feedback-error" role="alert">
          {m}
        </p>
      ))}
    </>
  );

  if ("error" in result) {
    return (
      <>
        <Header />
        {bar}
        {notices}
        <EmptyState title="This list cannot be shown" testId="runs-bad-query">
          <p>{result.error}</p>
          <p>
            <Link href="/runs">Clear filters</Link> to see all runs, newest first.
          </p>
        </EmptyState>
      </>
    );
  }
  const { page } = result;
  // Poll only while a run on this page is moving or about to; an idle list makes no requests.
  const live = page.items.some((run) => isLive(run, now.getTime()));
  const deploymentLabel = choices.deployments.find((d) => d.id === filters.deployment)?.label;

  return (
    <>
      <Header live={live} />
      {bar}
      <nav className="filters" aria-label="Filter by state">
        {STATE_CHOICES.map((f) => (
          <Link
            key={f.label}
            className="filter"
            href={runsHref({ ...filters, states: f.states })}
            aria-current={sameSet(f.states, filters.states) ? "true" : undefined}
          >
            {f.states.length ? f.label : "All"}
          </Link>
        ))}
      </nav>
      {notices}

      {page.items.length === 0 ? (
        filtered || cursor ? (
          <NoMatch filters={filters} cursor={cursor} deploymentLabel={deploymentLabel} />
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
              {cursor ? <Link href={runsHref(filters)}>← Newest runs</Link> : null}
            </span>
            <span>
              {page.nextCursor ? (
                <Link className="button" href={runsHref(filters, { cursor: page.nextCursor })} rel="next">
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
