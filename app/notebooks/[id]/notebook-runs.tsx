/** The latest runs of a notebook's deployments, each linked to its outputs and to its run page. */
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import { StateBadge } from "@/app/_components/state-badge";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

export function NotebookRuns({ notebookId, runs }: { notebookId: string; runs: RouterOutputs["notebooks"]["runs"] }) {
  if (runs.length === 0) return null;
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
