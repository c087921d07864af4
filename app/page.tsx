/**
 * The dashboard: how runs went over a window (a chart of runs by state, with the totals), what
 * needs a look now (late and stuck runs, each with why; the latest failures with their
 * messages) and whether the pools can run anything (workers online, slots, queued runs).
 *
 * One request to the API (dashboard.summary) for the whole page; the window is a link
 * (`?window=1h|24h|7d`), so every view has a URL and works before any JavaScript loads.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/app/_components/auto-refresh";
import { EmptyState, Snippet } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { RunsChart } from "@/app/_components/runs-chart";
import { StateBadge, stateTypeLabel } from "@/app/_components/state-badge";
import { formatDuration, pluralise } from "@/app/_lib/format";
import { stateColour } from "@/app/_lib/state-colour";
import { STATE_TYPES, type RouterOutputs, type StateType } from "@/app/_lib/trpc-types";
import { getViewer } from "@/app/_lib/viewer";
import { DASHBOARD_WINDOWS, DEFAULT_DASHBOARD_WINDOW, type DashboardWindow } from "@/server/domain/dashboard";
import { serverCaller } from "@/server/api/server-caller";
import "@/app/_components/dashboard.css";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Dashboard" };

type Summary = RouterOutputs["dashboard"]["summary"];
type SearchParams = Record<string, string | string[] | undefined>;

const WINDOWS = Object.keys(DASHBOARD_WINDOWS) as DashboardWindow[];

function parseWindow(value: string | string[] | undefined): { window: DashboardWindow; unknown?: string } {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return { window: DEFAULT_DASHBOARD_WINDOW };
  return (WINDOWS as string[]).includes(raw) ? { window: raw as DashboardWindow } : { window: DEFAULT_DASHBOARD_WINDOW, unknown: raw };
}

const runsHref = (states: StateType[]) => `/runs?state=${states.join(",")}`;
const runLink = (run: { id: string; name: string }) => (
  <Link href={`/runs/${run.id}`} className="cell-main">
    {run.name}
  </Link>
);
const flowAndDeployment = (run: { flowName: string; deploymentId: string | null; deploymentName: string | null }) =>
  run.deploymentId && run.deploymentName ? (
    <Link href={`/deployments/${run.deploymentId}`}>{`${run.flowName}/${run.deploymentName}`}</Link>
  ) : (
    <span>{run.flowName}</span>
  );
const countText = (count: number, more: boolean) => (more ? `${count.toLocaleString("en")}+` : count.toLocaleString("en"));

export default async function DashboardPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { window, unknown } = parseWindow((await searchParams).window);
  const [api, viewer] = await Promise.all([serverCaller(), getViewer()]);
  const summary = await api.dashboard.summary({ window });
  // Something is moving (or should be): refresh often; a quiet workspace now and then.
  const busy = summary.totals.RUNNING + summary.totals.PENDING > 0 || summary.late.count > 0 || summary.stuck.count > 0;

  return (
    <div className="dashboard">
      <header className="page-header">
        <div>
          <h1>
            Dashboard <AutoRefresh intervalMs={busy ? 5_000 : 15_000} />
          </h1>
          <p>How runs went, what needs a look, and whether the pools can run anything.</p>
        </div>
        <nav className="filters window-switcher" aria-label="Time window">
          {WINDOWS.map((w) => (
            <Link key={w} className="filter" href={`/?window=${w}`} aria-current={w === window ? "true" : undefined}>
              {DASHBOARD_WINDOWS[w].label}
            </Link>
          ))}
        </nav>
      </header>
      {unknown ? (
        <p className="feedback-error" role="alert" data-testid="window-unknown">
          Unknown window “{unknown}”: showing the {DASHBOARD_WINDOWS[window].label.toLowerCase()}; windows are {WINDOWS.join(", ")}.
        </p>
      ) : null}

      {summary.hasRuns ? <Runs summary={summary} /> : <NoRuns canEdit={viewer.canEdit} pool={summary.pools[0]?.name} />}
      <Pools summary={summary} />
    </div>
  );
}

/** A name as one shell word: as it is when plain, else single-quoted. */
function shellWord(name: string): string {
  return /^[A-Za-z0-9_.\/-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

/** `pool`: a work pool of the workspace, if it has one (the worker command names it). */
function NoRuns({ canEdit, pool }: { canEdit: boolean; pool?: string }) {
  return (
    <EmptyState title="No flow runs yet" testId="dashboard-empty">
      <p>
        This page charts your runs by state, lists the late, stuck and failed ones with why, and shows whether your work
        pools have workers. A run is one execution of a flow; to get the first one:
      </p>
      <ol>
        <li>
          {pool ? <>You have a work pool, <Link href="/work-pools">{pool}</Link></> : <>Create a work pool on <Link href="/work-pools">Work pools</Link></>}: where
          runs wait for a worker.
        </li>
        <li>
          {canEdit ? (
            <>
              <Link href="/deployments/new">Create a deployment</Link>: a flow with its code, parameters, pool and
              schedule.
            </>
          ) : (
            <>Ask an editor or owner of this workspace to create a deployment (a flow with its pool and schedule).</>
          )}
        </li>
        <li>
          Press <strong>Run</strong> on it (or let its schedule make runs), and start a worker for the pool:
        </li>
      </ol>
      <Snippet label="Start a worker with the CLI">{`baton worker start -p ${shellWord(pool ?? "my-pool")}`}</Snippet>
    </EmptyState>
  );
}

function Runs({ summary }: { summary: Summary }) {
  const label = DASHBOARD_WINDOWS[summary.window].label;
  return (
    <>
      <section aria-labelledby="totals-heading">
        <h2 id="totals-heading" className="visually-hidden">
          Runs by state, {label.toLowerCase()}
        </h2>
        <ul className="dashboard-totals" data-testid="dashboard-totals">
          <li>
            <Link href="/runs" data-testid="total-all">
              <span className="dashboard-total-label">All runs</span>
              <span className="dashboard-total-count">{summary.total.toLocaleString("en")}</span>
            </Link>
          </li>
          {STATE_TYPES.filter((t) => summary.totals[t] > 0).map((t) => (
            <li key={t}>
              <Link href={runsHref([t])} style={{ ["--swatch" as string]: stateColour(t) }} data-testid="total" data-state-type={t}>
                <span className="dashboard-total-label">{stateTypeLabel(t)}</span>
                <span className="dashboard-total-count">{summary.totals[t].toLocaleString("en")}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
      <RunsChart buckets={summary.buckets} bucketSeconds={summary.bucketSeconds} windowLabel={label} />
      {summary.total === 0 ? (
        <p className="muted">
          No runs were created in the {label.toLowerCase()}: try a longer window, or <Link href="/runs">see every run</Link>.
        </p>
      ) : null}

      <div className="dashboard-columns">
        <LateRuns late={summary.late} />
        <StuckRuns stuck={summary.stuck} />
      </div>
      <Failures failures={summary.failures} />
    </>
  );
}

function SectionHeading({ id, title, href, linkText }: { id: string; title: string; href?: string; linkText?: string }) {
  return (
    <div className="dashboard-section-heading">
      <h2 id={id}>{title}</h2>
      {href ? <Link href={href}>{linkText}</Link> : null}
    </div>
  );
}

function LateRuns({ late }: { late: Summary["late"] }) {
  return (
    <section aria-labelledby="late-heading" data-testid="late-runs">
      <SectionHeading
        id="late-heading"
        title={late.count ? `Late runs (${countText(late.count, late.more)})` : "Late runs"}
        href={late.count ? runsHref(["SCHEDULED"]) : undefined}
        linkText="All waiting runs"
      />
      {late.runs.length === 0 ? (
        <p className="dashboard-none">Nothing is late: every run due has been picked up by a worker.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Late runs">
            <thead>
              <tr>
                <th scope="col">Run and why it waits</th>
                <th scope="col">Late by</th>
              </tr>
            </thead>
            <tbody>
              {late.runs.map((run) => (
                <tr key={run.id} data-testid="late-run">
                  <td>
                    {runLink(run)} <StateBadge type={run.stateType} name={run.stateName} />
                    <div className="cell-sub">
                      {flowAndDeployment(run)}
                      {run.workPoolName ? ` · pool ${run.workPoolName}` : null}
                    </div>
                    <div className="run-reason" data-testid="run-reason">
                      Not started: {run.reason}
                    </div>
                  </td>
                  <td className="nowrap">
                    {formatDuration(run.lateBySeconds)}
                    <div className="cell-sub">
                      due <LocalTime iso={run.scheduledTime} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function StuckRuns({ stuck }: { stuck: Summary["stuck"] }) {
  return (
    <section aria-labelledby="stuck-heading" data-testid="stuck-runs">
      <SectionHeading id="stuck-heading" title={stuck.count ? `Stuck runs (${countText(stuck.count, stuck.more)})` : "Stuck runs"} />
      {stuck.runs.length === 0 ? (
        <p className="dashboard-none">Nothing is stuck: every active run is held by a worker that is heartbeating, within its timeout.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Stuck runs">
            <thead>
              <tr>
                <th scope="col">Run and why it is stuck</th>
                <th scope="col">In its state since</th>
              </tr>
            </thead>
            <tbody>
              {stuck.runs.map((run) => (
                <tr key={run.id} data-testid="stuck-run">
                  <td>
                    {runLink(run)} <StateBadge type={run.stateType} name={run.stateName} />
                    <div className="cell-sub">
                      {flowAndDeployment(run)}
                      {run.workPoolName ? ` · pool ${run.workPoolName}` : null}
                    </div>
                    <div className="run-reason" data-testid="run-reason">
                      {run.reason}
                    </div>
                  </td>
                  <td className="nowrap">
                    <LocalTime iso={run.since} relative />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Failures({ failures }: { failures: Summary["failures"] }) {
  return (
    <section aria-labelledby="failures-heading" data-testid="recent-failures">
      <SectionHeading
        id="failures-heading"
        title="Recent failures"
        href={failures.length ? runsHref(["FAILED", "CRASHED"]) : undefined}
        linkText="All failed runs"
      />
      {failures.length === 0 ? (
        <p className="dashboard-none">No failed or crashed runs.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Recent failures">
            <thead>
              <tr>
                <th scope="col">Run and its message</th>
                <th scope="col">Flow / deployment</th>
                <th scope="col">Failed</th>
              </tr>
            </thead>
            <tbody>
              {failures.map((run) => (
                <tr key={run.id} data-testid="failure" data-run-id={run.id}>
                  <td>
                    {runLink(run)} <StateBadge type={run.stateType} name={run.stateName} />
                    {run.message ? (
                      <p className="failure-message" data-testid="failure-message" title={run.message}>
                        {run.message.length > 400 ? `${run.message.slice(0, 400)}…` : run.message}
                      </p>
                    ) : (
                      <div className="cell-sub">No message.</div>
                    )}
                  </td>
                  <td>
                    {flowAndDeployment(run)}
                    {run.workPoolName ? <div className="cell-sub">pool {run.workPoolName}</div> : null}
                  </td>
                  <td className="nowrap">
                    <LocalTime iso={run.failedAt} relative />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const HEALTH: Record<Summary["pools"][number]["health"], { text: string; badge: string }> = {
  ok: { text: "Healthy", badge: "badge-completed" },
  paused: { text: "Paused", badge: "badge-warn" },
  "no-workers": { text: "No worker online", badge: "badge-failed" },
  full: { text: "At its limit", badge: "badge-warn" },
};

function Pools({ summary }: { summary: Summary }) {
  const { pools } = summary;
  return (
    <section aria-labelledby="pools-heading" data-testid="pool-health">
      <SectionHeading id="pools-heading" title="Work pools" href={pools.length ? "/work-pools" : undefined} linkText="Manage pools" />
      {pools.length === 0 ? (
        <EmptyState title="No work pools yet" testId="dashboard-no-pools">
          <p>
            A work pool is where runs wait until a worker claims them. <Link href="/work-pools">Create one on the Work pools page</Link>,
            then start a worker for it; its health shows here.
          </p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table aria-label="Work pool health">
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Health</th>
                <th scope="col">Workers</th>
                <th scope="col" className="numeric">
                  Slots in use
                </th>
                <th scope="col" className="numeric">
                  Queued
                </th>
              </tr>
            </thead>
            <tbody>
              {pools.map((pool) => (
                <tr key={pool.id} data-testid="pool" data-pool={pool.name}>
                  <td>
                    <Link href={`/work-pools#pool-${pool.id}`} className="cell-main">
                      {pool.name}
                    </Link>
                    <div className="cell-sub">{pool.type}</div>
                  </td>
                  <td>
                    <span className={`badge ${HEALTH[pool.health].badge}`} data-testid="pool-health-status" data-health={pool.health}>
                      {HEALTH[pool.health].text}
                    </span>
                  </td>
                  <td data-testid="pool-workers">
                    {pool.workersOnline} online · {pool.workersOffline} offline
                    {pool.workersOnline === 0 && pool.lastHeartbeatAt ? (
                      <div className="cell-sub">
                        last seen <LocalTime iso={pool.lastHeartbeatAt} relative />
                      </div>
                    ) : null}
                  </td>
                  <td className="numeric" data-testid="pool-slots">
                    {pool.concurrencyLimit == null ? (
                      <>
                        {pool.activeRuns} <span className="cell-sub">(no limit)</span>
                      </>
                    ) : (
                      `${pool.activeRuns} of ${pool.concurrencyLimit}`
                    )}
                  </td>
                  <td className="numeric" data-testid="pool-queued">
                    {countText(pool.queuedRuns, pool.queuedMore)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {summary.morePools ? <p className="muted">Showing the first {pluralise(pools.length, "pool")} by name; see them all on <Link href="/work-pools">Work pools</Link>.</p> : null}
    </section>
  );
}
