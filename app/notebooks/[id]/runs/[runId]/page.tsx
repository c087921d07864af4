/**
 * A run of a deployed notebook, shown as the notebook shows its cells: each cell's task run with
 * its state and its output rendered the same way (chunk previews, the cluster plot with hover
 * texts and legend), read from the results the worker stored.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { StateBadge } from "@/app/_components/state-badge";
import { ResultView } from "@/app/_components/task-result";
import { inputValue } from "@/common/notebook";
import { serverCaller, type ServerCaller } from "@/server/api/server-caller";
import "../../../notebooks.css";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Notebook run" };

type Params = Promise<{ id: string; runId: string }>;

async function outputOf(api: ServerCaller, taskRunId: string): Promise<unknown> {
  const r = await api.results.ofRun({ taskRunId, includeData: true });
  if (!r) return undefined;
  if (r.storage === "inline") return r.value;
  return JSON.parse(Buffer.from(r.base64 ?? "", "base64").toString("utf8"));
}

export default async function NotebookRunPage({ params }: { params: Params }) {
  const { id, runId } = await params;
  const api = await serverCaller();
  const [notebook, run, tasks] = await Promise.all([api.notebooks.get({ id }), api.flowRuns.get({ id: runId }), api.taskRuns.list({ flowRunId: runId })]).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  // The version the run ran, as its result says (a run still going: the deployment's now).
  const flowResult = (await api.results.ofRun({ flowRunId: runId }).catch(() => null))?.value as { version?: number } | undefined;
  const version = flowResult?.version ? await api.notebooks.get({ id, version: flowResult.version }).catch(() => notebook) : notebook;
  const outputs = new Map(await Promise.all(tasks.filter((t) => t.stateType === "COMPLETED").map(async (t) => [t.name, await outputOf(api, t.id)] as const)));

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
      <ol className="notebook-cells">
        {version.cells.map((cell) => {
          const task = tasks.find((t) => t.name === cell.id);
          const termsSource = version.cells.find((c) => c.id === cell.inputs["terms.texts"]);
          const termsOutput = termsSource ? outputs.get(termsSource.id) : undefined;
          const texts = termsSource && termsOutput ? (inputValue(termsSource.kind, "terms.texts", termsOutput) as string[]) : undefined;
          const output = outputs.get(cell.id);
          return (
            <li key={cell.id} className="panel notebook-cell" data-testid="run-cell" data-cell={cell.id}>
              <header className="notebook-cell-header">
                <h2>
                  <code>{cell.id}</code> <span className="muted">{cell.kind}</span>
                </h2>
                {task ? <StateBadge type={task.stateType} name={task.stateName} /> : <span className="muted">{cell.kind === "upload" ? "a file" : "not started"}</span>}
              </header>
              {task?.stateMessage ? <p className="muted">{task.stateMessage}</p> : null}
              {output !== undefined ? <ResultView result={output} texts={texts} /> : null}
            </li>
          );
        })}
      </ol>
    </>
  );
}
