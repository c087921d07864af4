/**
 * A short table of runs where every waiting one (Scheduled, Late, AwaitingRetry) says why it has
 * not started, in the engine's words (flowRuns.explain: no worker online, pool paused, a limit
 * reached…). Used by the deployment and work pool pages; the run page says it for its run.
 */
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import type { FlowRun } from "@/app/_lib/trpc-types";
import type { serverCaller } from "@/server/api/server-caller";
import "./management.css";

type Api = Awaited<ReturnType<typeof serverCaller>>;

/** The reasons of the waiting runs among `runs` (at most `max` asked, one query each). */
export async function waitingReasons(api: Api, runs: FlowRun[], max = 20): Promise<Map<string, string>> {
  const waiting = runs.filter((r) => r.stateType === "SCHEDULED").slice(0, max);
  const answers = await Promise.all(waiting.map((r) => api.flowRuns.explain({ id: r.id }).catch(() => null)));
  const reasons = new Map<string, string>();
  waiting.forEach((r, i) => {
    const a = answers[i];
    if (a?.waiting && a.reason) reasons.set(r.id, a.reason);
  });
  return reasons;
}

export function RunsWithReasons({ runs, reasons, label, showDeployment = false }: { runs: FlowRun[]; reasons: Map<string, string>; label: string; showDeployment?: boolean }) {
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">State</th>
            {showDeployment ? <th scope="col">Deployment</th> : null}
            <th scope="col">Scheduled for</th>
            <th scope="col">Parameters</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const reason = reasons.get(run.id);
            return (
              <tr key={run.id} data-testid="run-row" data-run={run.name}>
                <td>
                  <Link href={`/runs/${run.id}`} className="cell-main">
                    {run.name}
                  </Link>
                </td>
                <td>
                  <StateBadge type={run.stateType} name={run.stateName} />
                  {reason ? (
                    <div className="cell-sub waiting-why" data-testid="run-waiting-reason">
                      Waiting: {reason}
                    </div>
                  ) : null}
                </td>
                {showDeployment ? (
                  <td>
                    {run.deploymentId && run.deploymentName ? (
                      <Link href={`/deployments/${run.deploymentId}`}>{`${run.flowName}/${run.deploymentName}`}</Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                ) : null}
                <td>
                  <LocalTime iso={run.scheduledTime} relative />
                </td>
                <td>
                  <code className="cell-sub params-inline">{JSON.stringify(run.parameters)}</code>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
