/**
 * The latest runs of a notebook's deployments, each linked to its outputs and to its run page;
 * deployed with no run yet, where its deployment is and how to run it.
 */
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

type Deployment = Pick<RouterOutputs["deployments"]["list"][number], "id" | "name" | "flowName" | "workPoolName">;

export function NotebookRuns({ notebookId, runs, deployments = [] }: { notebookId: string; runs: RouterOutputs["notebooks"]["runs"]; deployments?: readonly Deployment[] }) {
  if (runs.length === 0 && deployments.length === 0) return null;
  if (runs.length === 0) {
    return (
      <section className="panel" aria-label="Deployed runs" data-testid="notebook-runs">
        <h2>Runs of the deployed notebook</h2>
        <p className="muted" data-testid="notebook-runs-empty">
          Deployed as{" "}
          {deployments.map((d, i) => (
            <span key={d.id}>
              {i ? ", " : ""}
              <Link href={`/deployments/${d.id}`}>{`${d.flowName}/${d.name}`}</Link>
              {d.workPoolName ? ` (pool ${d.workPoolName})` : ""}
            </span>
          ))}
          , with no runs yet: press Run on its deployment page, or give it a schedule there. A worker of its pool (<code>baton worker start -p {deployments[0]!.workPoolName ?? "POOL"}</code>) runs it with no browser open; its runs and their outputs then show here.
        </p>
      </section>
    );
  }
  return (
    <section className="panel" aria-label="Deployed runs" data-testid="notebook-runs">
      <h2>Runs of the deployed notebook</h2>
      <ul className="plain-list">
        {runs.map((r) => (
          <li key={r.id} data-testid="notebook-run">
            <StateBadge type={r.stateType} name={r.stateName} /> <Link href={`/notebooks/${notebookId}/runs/${r.id}`}>{r.name}</Link>{" "}
            <span className="muted">
              ({r.deploymentName}, <LocalTime iso={r.createdAt} />) · <Link href={`/runs/${r.id}`}>run page</Link>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
