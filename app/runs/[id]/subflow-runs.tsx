/** The flow runs a flow run called as subflows: each with its state, when it ran, and a link to its page. */
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import { formatDuration, runDuration } from "@/app/_lib/format";
import type { FlowRun } from "@/app/_lib/trpc-types";

export function SubflowRuns({ runs, more, now }: { runs: FlowRun[]; more: boolean; now: Date }) {
  return (
    <div className="table-wrap">
      <table aria-label="Subflow runs" data-testid="subflow-runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Flow</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const duration = runDuration(r, now);
            return (
              <tr key={r.id} data-testid="subflow-run">
                <td>
                  <Link href={`/runs/${r.id}`}>{r.name}</Link>
                </td>
                <td>{r.flowName}</td>
                <td>
                  <StateBadge type={r.stateType} name={r.stateName} />
                </td>
                <td className="nowrap">
                  <LocalTime iso={r.startTime} seconds />
                </td>
                <td className="numeric">{duration === null ? <span className="muted">—</span> : formatDuration(duration)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {more ? <p className="muted">The first {runs.length} subflow runs are listed.</p> : null}
    </div>
  );
}
