/**
 * A run of a deployed notebook, cell by cell as the notebook shows it: each cell's task run with
 * its state and its output rendered by the notebook's own components (chunk previews, the
 * cluster plot with hover texts and legend, cluster summaries with their terms, loss and
 * accuracy curves, the confusion matrix and predictions table, a code cell's JSON), read from
 * the results the worker stored. Shown on the notebook's run page and on the run page.
 */
import Link from "next/link";
import { StateBadge } from "@/app/_components/state-badge";
import { ResultView } from "@/app/_components/task-result";
import { CODE_STEP, UPLOAD_STEP } from "@/common/notebook";
import type { ServerCaller } from "@/server/api/server-caller";
import { codeOutputText, outputContext } from "./cell-context";
import "./notebooks.css";

type Task = Awaited<ReturnType<ServerCaller["taskRuns"]["list"]>>[number];

async function outputOf(api: ServerCaller, taskRunId: string): Promise<unknown> {
  const r = await api.results.ofRun({ taskRunId, includeData: true });
  if (!r) return undefined;
  if (r.storage === "inline") return r.value;
  return JSON.parse(Buffer.from(r.base64 ?? "", "base64").toString("utf8"));
}

/** The notebook version a run ran: as its result says, else the one its deployment names. */
export async function notebookOfRun(api: ServerCaller, runId: string, notebookId: string, deployedVersion?: number) {
  const flowResult = (await api.results.ofRun({ flowRunId: runId }).catch(() => null))?.value as { version?: number } | undefined;
  const version = flowResult?.version ?? deployedVersion;
  return api.notebooks.get({ id: notebookId, ...(version ? { version } : {}) });
}

/** The cells that ran as a run of their own on another pool, as the pipeline's result names them. */
async function cellRunsOf(api: ServerCaller, flowRunId: string | undefined): Promise<Map<string, { childRunId: string; workPool: string }>> {
  if (!flowRunId) return new Map();
  const result = (await api.results.ofRun({ flowRunId }).catch(() => null))?.value as { cells?: Record<string, { childRunId?: string; workPool?: string }> } | undefined;
  return new Map(Object.entries(result?.cells ?? {}).flatMap(([id, c]) => (c.childRunId && c.workPool ? [[id, { childRunId: c.childRunId, workPool: c.workPool }] as const] : [])));
}

export async function NotebookRunCells({ api, notebook, tasks }: { api: ServerCaller; notebook: Awaited<ReturnType<ServerCaller["notebooks"]["get"]>>; tasks: readonly Task[] }) {
  const [outputs, apart] = await Promise.all([
    Promise.all(tasks.filter((t) => t.stateType === "COMPLETED").map(async (t) => [t.name, await outputOf(api, t.id)] as const)).then((pairs) => new Map(pairs)),
    cellRunsOf(api, tasks[0]?.flowRunId),
  ]);
  return (
    <ol className="notebook-cells" data-testid="notebook-run-cells">
      {notebook.cells.map((cell) => {
        const task = tasks.find((t) => t.name === cell.id);
        const { texts, truth } = outputContext(cell, notebook.cells, (id) => outputs.get(id));
        const output = outputs.get(cell.id);
        return (
          <li key={cell.id} className="panel notebook-cell" data-testid="run-cell" data-cell={cell.id} data-kind={cell.kind}>
            <header className="notebook-cell-header">
              <h3>
                <code>{cell.id}</code> <span className="muted">{cell.kind}</span>
              </h3>
              {task ? <StateBadge type={task.stateType} name={task.stateName} /> : <span className="muted">{cell.kind === UPLOAD_STEP ? "a file" : "not started"}</span>}
            </header>
            {apart.has(cell.id) ? (
              <p className="muted" data-testid="cell-run-apart">
                Ran on pool {apart.get(cell.id)!.workPool} as <Link href={`/runs/${apart.get(cell.id)!.childRunId}`}>a run of its own</Link>.
              </p>
            ) : null}
            {task?.stateMessage ? <p className="muted">{task.stateMessage}</p> : null}
            {output !== undefined && cell.kind === CODE_STEP ? (
              <pre className="notebook-code-output" data-testid="code-output">
                {codeOutputText(output)}
              </pre>
            ) : null}
            {output !== undefined ? <ResultView result={output} texts={texts} truth={truth} /> : null}
          </li>
        );
      })}
    </ol>
  );
}
