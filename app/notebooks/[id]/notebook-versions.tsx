/** Every saved version of a notebook, newest first: who saved it, when, how many cells; each opens read-only. */
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

export function NotebookVersions({
  notebookId,
  versions,
  shown,
  current,
}: {
  notebookId: string;
  versions: RouterOutputs["notebooks"]["versions"];
  shown: number;
  current: number;
}) {
  return (
    <section className="panel" aria-label="Versions" data-testid="notebook-versions">
      <details>
        <summary>
          <h2 className="inline-heading">Versions ({versions.length})</h2>
        </summary>
        <ul className="plain-list">
          {versions.map((v) => (
            <li key={v.version} data-testid="notebook-version-row">
              {v.version === shown ? <strong>version {v.version}</strong> : <Link href={v.version === current ? `/notebooks/${notebookId}` : `/notebooks/${notebookId}?version=${v.version}`}>version {v.version}</Link>}{" "}
              <span className="muted">
                {v.version === current ? "(current) " : ""}— {v.cellCount} cell{v.cellCount === 1 ? "" : "s"}, by {v.actor}, <LocalTime iso={v.createdAt} />
              </span>
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
