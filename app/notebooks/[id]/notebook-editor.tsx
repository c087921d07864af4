"use client";
/**
 * A notebook in the browser: its cells run in this tab's task Web Worker, each cell's output
 * feeding the cells that read it (upload → pdf → encode → cluster). Lazy, as marimo's lazy mode:
 * changing a cell marks it and everything downstream stale (common/notebook.ts decides), and
 * "Run stale cells" runs exactly those, in DAG order. Each output is stored as a result and its
 * id saved in the notebook (automatically after a run), so a reload shows it again.
 *
 * Viewers see the cells and their outputs, and no control that changes or runs anything.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { TaskActivity, type TaskActivityState } from "@/app/_components/task-activity";
import { useTRPCClient } from "@/app/_components/trpc-provider";
import { useTaskRuntime } from "@/app/_components/use-task-runtime";
import type { RouterOutputs } from "@/app/_lib/trpc-types";
import { CODE_DEFAULT_TIMEOUT_S, type CodeParameters } from "@/common/code-cell";
import {
  CODE_STEP,
  cellFreshness,
  cellProblems,
  cellSignature,
  dagOrder,
  inputValue,
  onnxBytes,
  stepRunsOn,
  UPLOAD_STEP,
  WIRES,
  withParameter,
  type Cell,
  type UploadedFile,
} from "@/common/notebook";
import type { TaskEvent } from "@/workers/browser/client";
import { NotebookCell, NOTEBOOK_STEPS } from "./notebook-cell";
import { resultBytes, resultValue, uploadResult } from "./cell-outputs";
import { runCodeInSandbox } from "./code-sandbox";
import { authorInWords, CodeConsent, codeNeedsConsent } from "./code-consent";
import { DeployNotebook } from "./deploy-notebook";
import { runOnPool } from "./pool-run";
import "../notebooks.css";

type Notebook = RouterOutputs["notebooks"]["get"];

/** A new cell's id: its step and the next free number. */
function newCellId(cells: readonly Cell[], kind: string): string {
  for (let n = 1; ; n++) if (!cells.some((c) => c.id === `${kind}-${n}`)) return `${kind}-${n}`;
}

/** Each parameter the step can read from another cell, wired to the latest earlier cell that gives it. */
function autoWire(cells: readonly Cell[], kind: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [param, wire] of Object.entries(WIRES[kind] ?? {})) {
    const source = [...cells].reverse().find((c) => wire.from.includes(c.kind));
    if (source) inputs[param] = source.id;
  }
  return inputs;
}

/**
 * `me`: who this page's user is as the server records authors (`user:<email>`, or `user` with
 * auth off); a code cell another author wrote runs only after this user chooses to.
 */
export function NotebookEditor({ notebook, canEdit, workspace, me }: { notebook: Notebook; canEdit: boolean; workspace: string; me: string }) {
  const api = useTRPCClient();
  // Viewers run nothing: no task worker for them.
  const { runtime, info, error: runtimeError } = useTaskRuntime(canEdit);
  const [cells, setCells] = useState<Cell[]>(notebook.cells);
  const [saved, setSaved] = useState({ version: notebook.version, by: notebook.updatedBy, cells: JSON.stringify(notebook.cells) });
  const [saveState, setSaveState] = useState<{ busy?: boolean; error?: string; conflict?: boolean; ok?: string }>({});
  /** Outputs by result id: loaded from the store, or just made. */
  const [outputs, setOutputs] = useState<Map<string, unknown>>(new Map());
  // What a run in progress reads: the outputs it has just made are here before they are in state.
  const outputsRef = useRef(outputs);
  outputsRef.current = outputs;
  const [activity, setActivity] = useState<Record<string, TaskActivityState>>({});
  const [running, setRunning] = useState<string | null>(null);
  /** Authors whose code cells this user chose to run, in this page only (never stored). */
  const [trusted, setTrusted] = useState<ReadonlySet<string>>(new Set());
  const trustedRef = useRef(trusted);
  trustedRef.current = trusted;
  const abort = useRef<AbortController | null>(null);
  /** The node pools a cell can be sent to. */
  const [pools, setPools] = useState<string[]>([]);
  useEffect(() => {
    if (!canEdit) return;
    void api.workPools.list.query().then((all) => setPools(all.filter((p) => p.type === "node").map((p) => p.name)), () => {});
  }, [api, canEdit]);
  const cellsRef = useRef(cells);
  cellsRef.current = cells;

  const freshness = useMemo(() => cellFreshness(cells), [cells]);
  const problems = useMemo(() => cellProblems(cells), [cells]);
  const dirty = JSON.stringify(cells) !== saved.cells;

  // Outputs made before this page opened: read back from the blob store.
  useEffect(() => {
    const wanted = cells.filter((c) => c.kind !== UPLOAD_STEP && c.outputResultId && !outputs.has(c.outputResultId));
    if (wanted.length === 0) return;
    let live = true;
    void Promise.all(
      wanted.map(async (c) => [c.outputResultId!, await resultValue(api, c.outputResultId!).catch((e: Error) => ({ error: e.message }))] as const),
    ).then((loaded) => {
      if (live) setOutputs((m) => new Map([...m, ...loaded]));
    });
    return () => {
      live = false;
    };
    // Only new result ids need loading; `outputs` is what they are checked against.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, cells]);

  const setCell = useCallback((id: string, change: (c: Cell) => Cell) => setCells((cs) => cs.map((c) => (c.id === id ? change(c) : c))), []);

  const save = useCallback(
    async (toSave: Cell[]) => {
      setSaveState({ busy: true });
      try {
        const nb = await api.notebooks.save.mutate({ id: notebook.id, expectedVersion: saved.version, cells: toSave });
        setSaved({ version: nb.version, by: nb.updatedBy, cells: JSON.stringify(toSave) });
        setSaveState({ ok: `Saved version ${nb.version}` });
      } catch (err) {
        const conflict = (err as { data?: { code?: string } }).data?.code === "CONFLICT";
        setSaveState({ error: (err as Error).message, conflict });
      }
    },
    [api, notebook.id, saved.version],
  );

  /** What one cell reads, from its input cells' stored outputs. */
  async function parametersOf(cell: Cell, all: readonly Cell[]): Promise<Record<string, unknown>> {
    let params: Record<string, unknown> = { ...cell.parameters };
    for (const [param, src] of Object.entries(cell.inputs)) {
      const source = all.find((c) => c.id === src);
      if (!source?.outputResultId) throw new Error(`cell "${src}" has no output yet`);
      let value: unknown;
      if (source.kind === UPLOAD_STEP && cell.kind === CODE_STEP) {
        value = await resultBytes(api, source.outputResultId);
      } else if (source.kind === UPLOAD_STEP) {
        const file = source.parameters.file as UploadedFile;
        value = (await resultBytes(api, source.outputResultId)).buffer;
        if (cell.kind === "pdf" && params.name === undefined) params.name = file.name;
      } else {
        value = outputsRef.current.get(source.outputResultId) ?? (await resultValue(api, source.outputResultId));
      }
      if (source.kind === "train" && param === "modelResultId") {
        // The trained model itself: its ONNX bytes, out of the stored train result.
        params = withParameter(params, "model", onnxBytes((value as { onnx?: unknown }).onnx));
        continue;
      }
      params = withParameter(params, param, inputValue(source.kind, param, value, source.outputResultId, cell.kind));
    }
    return params;
  }

  /** Runs one cell (in the tab, or on its pool), stores its output, and returns the cell with it. */
  async function runOne(cell: Cell, all: readonly Cell[], signal: AbortSignal): Promise<Cell> {
    if (!runtime) throw new Error("the task worker has not started");
    let state: TaskActivityState = { logs: [], progress: { fraction: 0 } };
    const show = (next: TaskActivityState) => setActivity((a) => ({ ...a, [cell.id]: (state = next) }));
    show(state);
    const onEvent = (e: TaskEvent) => {
      if (e.type === "progress") show({ ...state, progress: { fraction: e.fraction, message: e.message } });
      else if (e.type === "device") show({ ...state, device: e.device });
      else if (e.type === "log") show({ ...state, logs: [...state.logs, `${e.level}: ${e.message}`] });
      else if (e.type === "metric") show({ ...state, metrics: [...(state.metrics ?? []), { name: e.name, value: e.value, step: e.step ?? null }] });
    };
    try {
      const params = await parametersOf(cell, all);
      let id: string;
      let result: unknown;
      if (cell.kind === CODE_STEP) {
        const needs = codeNeedsConsent(cell, me, trustedRef.current);
        if (needs) throw new Error(`this code cell was written by ${authorInWords(needs)}: it runs only after you choose to run their code (above)`);
        const { source, timeoutSeconds } = cell.parameters as CodeParameters;
        const { source: _source, timeoutSeconds: _timeout, ...inputs } = params;
        show({ ...state, device: "sandboxed worker in this tab" });
        result = await runCodeInSandbox({
          source,
          inputs,
          timeoutMs: (timeoutSeconds ?? CODE_DEFAULT_TIMEOUT_S) * 1000,
          signal,
          onLog: (level, message) => show({ ...state, logs: [...state.logs, `${level}: ${message}`] }),
        });
        id = await uploadResult(workspace, new Blob([JSON.stringify(result)]), "application/json");
      } else if (cell.target === "tab") {
        result = await runtime.run(cell.kind, params, { signal, onEvent });
        id = await uploadResult(workspace, new Blob([JSON.stringify(result)]), "application/json");
      } else {
        const pool = cell.target.pool;
        if (Object.values(params).some((v) => v instanceof ArrayBuffer)) throw new Error(`cell "${cell.id}": a file's bytes are read in the tab: run this cell in the tab`);
        id = await runOnPool(api, {
          kind: cell.kind,
          pool,
          parameters: params,
          signal,
          onRun: (r) => show({ ...state, logs: [...state.logs, `info: sent to pool ${pool} as run ${r.name}`] }),
          onState: (name) => show({ ...state, progress: { fraction: state.progress?.fraction ?? 0, message: `${name} on pool ${pool}` } }),
          onLog: (level, message) => show({ ...state, logs: [...state.logs, `${level >= 40 ? "error" : level >= 30 ? "warn" : level >= 20 ? "info" : "debug"}: ${message}`] }),
          onMetric: (name, value, step) => show({ ...state, metrics: [...(state.metrics ?? []), { name, value, step }] }),
        });
        result = await resultValue(api, id);
      }
      outputsRef.current = new Map(outputsRef.current).set(id, result);
      setOutputs((m) => new Map(m).set(id, result));
      // The output's own curves replace the live ones, which may have missed points.
      show({ ...state, metrics: undefined, progress: { fraction: 1, message: "done" } });
      return { ...cell, outputResultId: id, outputSignature: cellSignature(cell, all) };
    } catch (err) {
      show({ ...state, error: (err as Error).message });
      throw err;
    }
  }

  /** Runs what is not fresh among these cells (and what they read), in DAG order, then saves. */
  async function runStale(only?: string) {
    abort.current = new AbortController();
    let all = cellsRef.current;
    const order = dagOrder(all) ?? [];
    const wanted = only ? upstreamOf(all, only) : new Set(order);
    try {
      for (const id of order) {
        if (!wanted.has(id)) continue;
        const cell = all.find((c) => c.id === id)!;
        const fresh = cellFreshness(all).get(id) === "fresh";
        if (cell.kind === UPLOAD_STEP) {
          if (!cell.outputResultId) {
            setActivity((a) => ({ ...a, [cell.id]: { logs: [], error: "Choose a file to upload first: the cells after this one read it." } }));
            break;
          }
          if (!fresh) all = all.map((c) => (c.id === id ? { ...c, outputSignature: cellSignature(c, all) } : c));
          continue;
        }
        if (fresh && id !== only) continue;
        setRunning(id);
        const done = await runOne(cell, all, abort.current.signal);
        all = all.map((c) => (c.id === id ? done : c));
        setCells(all);
      }
    } catch {
      // The cell shows its error; the ones after it stay stale.
    } finally {
      setRunning(null);
      setCells(all);
    }
    // A run that changed nothing (stopped at its first cell) makes no new version.
    if (canEdit && JSON.stringify(all) !== saved.cells) await save(all);
  }

  async function upload(cell: Cell, file: File) {
    setActivity((a) => ({ ...a, [cell.id]: { logs: [], progress: { fraction: 0, message: `uploading ${file.name}` } } }));
    try {
      const resultId = await uploadResult(workspace, file, file.type || "application/octet-stream");
      const uploaded: UploadedFile = { resultId, name: file.name, mediaType: file.type || "application/octet-stream", sizeBytes: file.size };
      setCells((cs) =>
        cs.map((c) => {
          if (c.id !== cell.id) return c;
          const next = { ...c, parameters: { file: uploaded }, outputResultId: resultId };
          return { ...next, outputSignature: cellSignature(next, cs) };
        }),
      );
      setActivity((a) => ({ ...a, [cell.id]: { logs: [], progress: { fraction: 1, message: `uploaded ${file.name}` } } }));
    } catch (err) {
      setActivity((a) => ({ ...a, [cell.id]: { logs: [], error: (err as Error).message } }));
    }
  }

  function addCell(kind: string) {
    // A kind a tab cannot run goes to the first node pool.
    const target = stepRunsOn(kind).includes("tab") || pools.length === 0 ? ("tab" as const) : { pool: pools[0]! };
    const parameters = kind === CODE_STEP ? { source: "// Read upstream outputs as inputs.<name>; return this cell's output.\nreturn inputs;" } : {};
    setCells((cs) => [...cs, { id: newCellId(cs, kind), kind, parameters, inputs: autoWire(cs, kind), target }]);
  }

  const busy = running !== null;
  const staleCount = [...freshness.values()].filter((f) => f !== "fresh").length;

  return (
    <div className="notebook" data-testid="notebook">
      <header className="page-header">
        <div>
          <h1>{notebook.name}</h1>
          <p className="muted" data-testid="notebook-version">
            Version {saved.version} · saved by {saved.by}
            {dirty ? " · unsaved changes" : ""}
          </p>
        </div>
        {canEdit ? (
          <div className="notebook-toolbar">
            <button type="button" className="button button-primary" onClick={() => runStale()} disabled={busy || !runtime || cells.length === 0} data-testid="run-all">
              {busy ? "Running…" : staleCount ? `Run stale cells (${staleCount})` : "Run all"}
            </button>
            <button type="button" className="button" onClick={() => abort.current?.abort()} disabled={!busy}>
              Stop
            </button>
            <button type="button" className="button" onClick={() => save(cells)} disabled={busy || saveState.busy || !dirty || problems.length > 0} data-testid="save-notebook">
              Save
            </button>
            <span role="status" aria-live="polite" data-testid="save-status">
              {saveState.error ? <span className="feedback-error">{saveState.error}</span> : saveState.ok ? <span className="feedback-ok">{saveState.ok}</span> : null}
              {saveState.conflict ? (
                <button type="button" className="button button-small" onClick={() => window.location.reload()} data-testid="reload-notebook">
                  Reload their version (your changes here are dropped)
                </button>
              ) : null}
            </span>
          </div>
        ) : null}
      </header>
      {runtimeError ? <p className="feedback-error">{runtimeError}</p> : null}
      {canEdit && !runtime && !runtimeError ? <p className="muted" data-testid="runtime-loading">Starting the task worker…</p> : null}
      {info ? (
        <p className="muted notebook-runtime">
          Cells run in this tab: {info.webgpu ? `WebGPU (${info.adapter})` : "WASM (no WebGPU adapter)"}, {info.threads} cores.
        </p>
      ) : null}
      {canEdit ? <CodeConsent cells={cells} me={me} trusted={trusted} onTrust={(authors) => setTrusted((t) => new Set([...t, ...authors]))} /> : null}
      {cells.length === 0 ? (
        <section className="empty-state" data-testid="notebook-empty">
          <h2>No cells yet</h2>
          <p>{canEdit ? "Add a cell below: start with an upload of a PDF, then pdf, encode and cluster." : "An editor has not added any cells yet."}</p>
        </section>
      ) : null}
      <ol className="notebook-cells">
        {cells.map((cell, index) => (
          <NotebookCell
            key={cell.id}
            cell={cell}
            earlier={cells.slice(0, index)}
            all={cells}
            freshness={freshness.get(cell.id) ?? "empty"}
            problems={problems.filter((p) => p.cellId === cell.id).map((p) => p.message)}
            output={cell.outputResultId ? outputs.get(cell.outputResultId) : undefined}
            outputs={outputs}
            activity={activity[cell.id]}
            running={running === cell.id}
            canEdit={canEdit}
            busy={busy}
            // A code cell's changed source is this user's: the server makes them its author on save.
            onParameters={(parameters) => setCell(cell.id, (c) => ({ ...c, parameters, ...(c.kind === CODE_STEP && parameters.source !== c.parameters.source ? { author: null } : {}) }))}
            onInput={(param, src) =>
              setCell(cell.id, (c) => {
                const inputs = { ...c.inputs };
                if (src) inputs[param] = src;
                else delete inputs[param];
                return { ...c, inputs };
              })
            }
            pools={pools}
            onTarget={(target) => setCell(cell.id, (c) => ({ ...c, target }))}
            onUpload={(file) => upload(cell, file)}
            onRun={() => runStale(cell.id)}
            onRemove={() => setCells((cs) => cs.filter((c) => c.id !== cell.id).map((c) => ({ ...c, inputs: Object.fromEntries(Object.entries(c.inputs).filter(([, src]) => src !== cell.id)) })))}
          />
        ))}
      </ol>
      {canEdit ? (
        <div className="notebook-add" role="group" aria-label="Add a cell">
          <span>Add a cell:</span>
          {NOTEBOOK_STEPS.map((step) => (
            <button key={step.kind} type="button" className="button button-small" onClick={() => addCell(step.kind)} disabled={busy} title={step.summary} data-testid={`add-${step.kind}`}>
              + {step.label}
            </button>
          ))}
        </div>
      ) : null}
      {canEdit && cells.length > 0 ? <DeployNotebook notebookId={notebook.id} version={saved.version} dirty={dirty} cells={cells} /> : null}
      {/* The tab's own activity, for a cell that has none shown yet. */}
      {running && !activity[running] ? <TaskActivity state={{ logs: [], progress: { fraction: 0 } }} /> : null}
    </div>
  );
}

/** A cell and every cell it reads, directly or not. */
function upstreamOf(cells: readonly Cell[], id: string): Set<string> {
  const found = new Set<string>();
  const visit = (at: string) => {
    if (found.has(at)) return;
    found.add(at);
    for (const src of Object.values(cells.find((c) => c.id === at)?.inputs ?? {})) visit(src);
  };
  visit(id);
  return found;
}
