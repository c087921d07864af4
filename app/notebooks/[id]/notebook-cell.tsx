"use client";
/**
 * One cell of a notebook: its step, whether its output is fresh, what it reads from earlier
 * cells, its parameters (a form from its kind's JSON schema, for editors), its progress and
 * logs while it runs, and its output — marked stale when it no longer matches the cell.
 */
import { ParameterForm } from "@/app/_components/parameter-form";
import { TaskActivity, type TaskActivityState } from "@/app/_components/task-activity";
import { ResultView } from "@/app/_components/task-result";
import { CODE_STEP, formSchema, stepRunsOn, UPLOAD_STEP, WIRES, type Cell, type CellTarget, type UploadedFile } from "@/common/notebook";
import { codeOutputText, outputContext } from "../cell-context";
import { CodeCellEditor } from "./code-cell-editor";

/** The steps a cell can be: upload and the kinds; train is sent to a pool, the others run in the tab or on one. */
export const NOTEBOOK_STEPS = [
  { kind: UPLOAD_STEP, label: "Upload", summary: "A file, into the blob store" },
  { kind: "pdf", label: "PDF", summary: "A PDF's pages and chunks" },
  { kind: "encode", label: "Encode", summary: "Texts to embeddings" },
  { kind: "cluster", label: "Cluster", summary: "Embeddings into clusters, with a 2-D plot" },
  { kind: "train", label: "Train", summary: "A classifier on embeddings and labels, on a node pool (GPU pools for heavy work)" },
  { kind: "infer", label: "Infer", summary: "The trained classifier over embeddings: predictions and a confusion matrix" },
  { kind: CODE_STEP, label: "Code", summary: "TypeScript over other cells' outputs, run sandboxed" },
] as const;

const sizeInWords = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

const FRESHNESS_WORDS = { fresh: "fresh", stale: "stale", empty: "not run" } as const;

export function NotebookCell(props: {
  cell: Cell;
  earlier: readonly Cell[];
  all: readonly Cell[];
  freshness: "fresh" | "stale" | "empty";
  problems: string[];
  output: unknown;
  outputs: ReadonlyMap<string, unknown>;
  activity?: TaskActivityState;
  running: boolean;
  canEdit: boolean;
  busy: boolean;
  onParameters(parameters: Record<string, unknown>): void;
  onInput(param: string, source: string | null): void;
  /** Node pools a cell can be sent to. */
  pools: string[];
  onTarget(target: CellTarget): void;
  onUpload(file: File): void;
  onRun(): void;
  onRemove(): void;
}) {
  const { cell, canEdit, freshness } = props;
  const wires = Object.entries(WIRES[cell.kind] ?? {});
  const file = cell.kind === UPLOAD_STEP ? (cell.parameters.file as UploadedFile | undefined) : undefined;
  const { texts: rowTexts, truth } = outputContext(cell, props.all, (id) => {
    const c = props.all.find((x) => x.id === id);
    return c?.outputResultId ? props.outputs.get(c.outputResultId) : undefined;
  });
  const outputError = (props.output as { error?: string } | undefined)?.error;
  const runsInTab = stepRunsOn(cell.kind).includes("tab");

  return (
    <li className={`panel notebook-cell notebook-cell-${freshness}`} data-testid="notebook-cell" data-cell={cell.id} data-kind={cell.kind} data-state={freshness} aria-label={`Cell ${cell.id}`}>
      <header className="notebook-cell-header">
        <h2>
          <code>{cell.id}</code> <span className="muted">{cell.kind}</span>
        </h2>
        <span className={`badge ${freshness === "fresh" ? "badge-completed" : freshness === "stale" ? "badge-warn" : "badge-neutral"}`} data-testid="cell-state">
          {props.running ? "running" : FRESHNESS_WORDS[freshness]}
        </span>
        {canEdit && cell.kind !== UPLOAD_STEP && cell.kind !== CODE_STEP ? (
          <label className="muted">
            runs on{" "}
            <select
              value={cell.target === "tab" ? "" : cell.target.pool}
              onChange={(e) => props.onTarget(e.target.value ? { pool: e.target.value } : "tab")}
              disabled={props.busy}
              data-testid="cell-target"
            >
              {runsInTab || cell.target === "tab" ? <option value="">this tab</option> : null}
              {props.pools.map((p) => (
                <option key={p} value={p}>
                  pool {p}
                </option>
              ))}
              {cell.target !== "tab" && !props.pools.includes(cell.target.pool) ? <option value={cell.target.pool}>pool {cell.target.pool}</option> : null}
            </select>
          </label>
        ) : (
          <span className="muted" data-testid="cell-target-text">
            {cell.kind === CODE_STEP ? "runs sandboxed in this tab" : cell.target === "tab" ? "runs in this tab" : `runs on pool ${cell.target.pool}`}
          </span>
        )}
        {canEdit ? (
          <span className="notebook-cell-actions">
            {cell.kind !== UPLOAD_STEP ? (
              <button type="button" className="button button-small" onClick={props.onRun} disabled={props.busy || props.problems.length > 0} data-testid="run-cell">
                Run cell
              </button>
            ) : null}
            <button type="button" className="button button-small button-danger" onClick={props.onRemove} disabled={props.busy} aria-label={`Remove cell ${cell.id}`}>
              Remove
            </button>
          </span>
        ) : null}
      </header>

      {props.problems.length ? (
        <ul className="feedback-error notebook-problems" data-testid="cell-problems">
          {props.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}

      {cell.kind === UPLOAD_STEP ? (
        <div className="notebook-upload">
          {file ? (
            <p data-testid="uploaded-file">
              {file.name} <span className="muted">({sizeInWords(file.sizeBytes)}, {file.mediaType})</span>
            </p>
          ) : (
            <p className="muted">No file yet.</p>
          )}
          {canEdit ? (
            <label>
              {file ? "Replace the file" : "Choose a file"}{" "}
              <input type="file" disabled={props.busy} onChange={(e) => e.target.files?.[0] && props.onUpload(e.target.files[0])} data-testid="upload-input" />
            </label>
          ) : null}
        </div>
      ) : null}

      {wires.length ? (
        <div className="notebook-inputs" role="group" aria-label="Reads">
          {wires.map(([param, wire]) => {
            const choices = props.earlier.filter((c) => wire.from.includes(c.kind));
            const current = cell.inputs[param] ?? "";
            return (
              <label key={param}>
                <code>{param}</code> ← {wire.describe} of{" "}
                {canEdit ? (
                  <select value={current} onChange={(e) => props.onInput(param, e.target.value || null)} disabled={props.busy} data-testid={`input-${param}`}>
                    <option value="">(none: give it as a parameter)</option>
                    {choices.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.id}
                      </option>
                    ))}
                    {current && !choices.some((c) => c.id === current) ? <option value={current}>{current}</option> : null}
                  </select>
                ) : (
                  <code>{current || "(none)"}</code>
                )}
              </label>
            );
          })}
        </div>
      ) : null}

      {cell.kind === CODE_STEP ? (
        <CodeCellEditor
          cell={cell}
          earlier={props.earlier}
          canEdit={canEdit}
          busy={props.busy}
          onSource={(source) => props.onParameters({ ...cell.parameters, source })}
          onInput={props.onInput}
        />
      ) : cell.kind !== UPLOAD_STEP ? (
        canEdit ? (
          <details className="notebook-parameters">
            <summary>Parameters</summary>
            <ParameterForm
              key={Object.keys(cell.inputs).sort().join(",")}
              schema={formSchema(cell.kind, Object.keys(cell.inputs))}
              initial={cell.parameters}
              idPrefix={cell.id}
              submitLabel="Apply"
              busy={props.busy}
              onSubmit={(data) => props.onParameters(JSON.parse(JSON.stringify(data)) as Record<string, unknown>)}
            />
          </details>
        ) : (
          <pre className="notebook-parameters-json">{JSON.stringify(cell.parameters, null, 2)}</pre>
        )
      ) : null}

      {props.activity ? <TaskActivity state={props.activity} /> : null}

      {outputError ? (
        <p className="feedback-error">The stored output could not be read: {outputError}</p>
      ) : props.output !== undefined ? (
        <div className={freshness === "fresh" ? "notebook-output" : "notebook-output notebook-output-stale"} data-testid="cell-output">
          {freshness === "stale" ? (
            <p className="notice notice-warn" data-testid="stale-note">
              Stale: made before this cell or a cell it reads changed. Run it to bring it up to date.
            </p>
          ) : null}
          {cell.kind === CODE_STEP ? <pre className="notebook-code-output" data-testid="code-output">{codeOutputText(props.output)}</pre> : null}
          <ResultView result={props.output} texts={rowTexts} truth={truth} />
        </div>
      ) : cell.outputResultId && cell.kind !== UPLOAD_STEP ? (
        <p className="muted">Loading the output…</p>
      ) : null}
    </li>
  );
}
