/**
 * A run of a deployed notebook, shown as the notebook shows its cells (notebook-run-cells.tsx).
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { StateBadge } from "@/app/_components/state-badge";
import { serverCaller } from "@/server/api/server-caller";
import { NotebookRunCells, notebookOfRun } from "../../../notebook-run-cells";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Notebook run" };

type Params = Promise<{ id: string; runId: string }>;

export default async function NotebookRunPage({ params }: { params: Params }) {
  const { id, runId } = await params;
  const api = await serverCaller();
  const [notebook, run, tasks] = await Promise.all([api.notebooks.get({ id }), api.flowRuns.get({ id: runId }), api.taskRuns.list({ flowRunId: runId })]).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  // The version the run ran (a run still going: the notebook's now).
  const version = await notebookOfRun(api, runId, id).catch(() => notebook);

  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/notebooks">Notebooks</Link> / <Link href={`/notebooks/${id}`}>{notebook.name}</Link>
      </nav>
      <header className="page-header">
        <div>
          <h1>{run.name}</h1>
          <p>
            <StateBadge type={run.stateType} name={run.stateName} /> version {version.version} of {notebook.name} · <Link href={`/runs/${run.id}`}>run page</Link>
          </p>
          {run.stateMessage ? <p className="muted">{run.stateMessage}</p> : null}
        </div>
      </header>
      <NotebookRunCells api={api} notebook={version} tasks={tasks} />
    </>
  );
}
