/**
 * A notebook's cells, as the server stores them and the page runs them: each cell is a step —
 * a task kind from the registry (workers/kinds/registry.ts) or the notebook's own `upload` step
 * (a file put in the blob store) — with its parameters, the parameters it reads from earlier
 * cells' outputs (`inputs: { param: cellId }`), where it runs and the result it last produced.
 *
 * The cells form a DAG through their inputs, in the spirit of marimo: a cell's output is fresh
 * while it was made from the cell's current parameters and its inputs' current outputs (its
 * signature); change a cell and it and every cell downstream are stale until run again, in
 * DAG order. The server checks the same rules on every save (`cellProblems`), so a notebook
 * saved through the API is as runnable as one saved from the page.
 */
import { z } from "zod";
import { isKindName, KINDS, kindInfo, unknownKindMessage, type KindDefinition, type KindName, type KindRuntime } from "../workers/kinds/registry";
import { CODE_STEP, codeParameterProblems, zCodeInputName } from "./code-cell";

export { CODE_STEP } from "./code-cell";

/** The notebook's own step: a file uploaded into the blob store; its output is the file. */
export const UPLOAD_STEP = "upload";

export const zCellId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be 1–40 lowercase letters, digits and '-', starting with a letter or digit");

/** Where a cell runs: this tab's Web Worker, or a work pool (a run of `kind:<name>` there). */
export const zCellTarget = z.union([z.literal("tab"), z.strictObject({ pool: z.string().trim().min(1, "must name a work pool").max(200) })]);

export const zUploadedFile = z.strictObject({
  resultId: z.uuid({ error: "must be a UUID" }),
  name: z.string().min(1).max(500),
  mediaType: z.string().max(200),
  sizeBytes: z.number().int().min(0),
});

const zUploadParameters = z.strictObject({ file: zUploadedFile.optional() });

export const zCell = z.strictObject({
  id: zCellId,
  kind: z.string().trim().min(1, "must name a task kind").max(100),
  title: z.string().max(200).optional(),
  parameters: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }).default({}),
  /** Parameter (a dotted path, e.g. `terms.texts`) → the cell whose output it reads. */
  inputs: z.record(z.string(), zCellId).default({}),
  target: zCellTarget.default("tab"),
  /** The result the cell last produced (the uploaded file, for `upload`). */
  outputResultId: z.uuid({ error: "must be a UUID" }).nullish(),
  /** `cellSignature` of what produced that output: when it differs from now, the output is stale. */
  outputSignature: z.string().max(64).nullish(),
  /**
   * A code cell's author: who last saved its source (`user:<email>`, `key:<name>`). The server
   * sets it on every save and ignores what a client sends; a tab runs a code cell whose author is
   * someone else only when its user chooses to.
   */
  author: z.string().max(300).nullish(),
});

export const zCells = z.array(zCell).max(100, "a notebook holds at most 100 cells");

export type Cell = z.output<typeof zCell>;
export type CellInput = z.input<typeof zCell>;
export type CellTarget = z.output<typeof zCellTarget>;
export type UploadedFile = z.output<typeof zUploadedFile>;

// -------------------------------------------------------------------------------------------
// What a cell can read from another
// -------------------------------------------------------------------------------------------

interface Wire {
  /** The steps whose output can feed this parameter. */
  from: readonly string[];
  /** What the parameter gets from that output. */
  describe: string;
  /** A value of the right shape, to check the rest of the parameters before the real one exists. */
  placeholder: () => unknown;
}

/** Each step's parameters that can be wired to an earlier cell, and from which steps. */
export const WIRES: Record<string, Record<string, Wire>> = {
  pdf: { data: { from: [UPLOAD_STEP], describe: "the uploaded file's bytes", placeholder: () => new Uint8Array(1) } },
  encode: { texts: { from: ["pdf", CODE_STEP], describe: "the PDF's chunk texts", placeholder: () => ["text"] } },
  cluster: {
    vectors: { from: ["encode", CODE_STEP], describe: "the embeddings", placeholder: () => [[0]] },
    "terms.texts": { from: ["pdf", CODE_STEP], describe: "the PDF's chunk texts (to label clusters with their terms)", placeholder: () => ["text"] },
  },
  train: {
    embeddings: { from: ["encode", CODE_STEP], describe: "the embeddings", placeholder: () => [[0]] },
    labels: { from: ["cluster", CODE_STEP], describe: "each text's cluster, as its label", placeholder: () => ["a", "b"] },
  },
  infer: {
    embeddings: { from: ["encode"], describe: "the embeddings", placeholder: () => [[0]] },
    modelResultId: { from: ["train"], describe: "the trained model", placeholder: () => "model" },
  },
};

/** The steps a notebook can have: the registry's kinds, `upload` and `code`. */
export function isStep(kind: string): boolean {
  return kind === UPLOAD_STEP || kind === CODE_STEP || isKindName(kind);
}

/**
 * Where a step may run from the page (`upload` runs where the page is; `code` in the tab's
 * sandbox — a deployed notebook runs it on a node pool that allows code cells).
 */
export function stepRunsOn(kind: string): readonly KindRuntime[] {
  if (kind === UPLOAD_STEP || kind === CODE_STEP) return ["tab"];
  return isKindName(kind) ? KINDS[kind].runsOn : [];
}

/**
 * The value a parameter gets from its input cell's output: chunk texts from a PDF, vectors from
 * an encode, labels from a cluster, the result id of a trained model, the bytes of an upload, a
 * code cell's output as it is. A code cell reads every input whole (`targetKind` "code").
 */
export function inputValue(sourceKind: string, param: string, output: unknown, sourceResultId?: string | null, targetKind?: string): unknown {
  const o = output as Record<string, unknown> | undefined;
  if (targetKind === CODE_STEP) return output;
  switch (sourceKind) {
    case UPLOAD_STEP:
    case CODE_STEP:
      return output;
    case "pdf":
      return ((o?.chunks ?? []) as { text: string }[]).map((c) => c.text);
    case "encode":
      return o?.vectors;
    case "cluster":
      return ((o?.labels ?? []) as number[]).map((l) => `cluster ${l}`);
    case "train":
      return sourceResultId ?? undefined;
    default:
      throw new Error(`${sourceKind} has no output for ${param}`);
  }
}

/** Sets a dotted path (`terms.texts`) in a copy of the parameters. */
export function withParameter(parameters: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split(".");
  if (rest.length === 0) return { ...parameters, [head!]: value };
  const inner = parameters[head!];
  const obj = inner !== null && typeof inner === "object" && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {};
  return { ...parameters, [head!]: withParameter(obj, rest.join("."), value) };
}

// -------------------------------------------------------------------------------------------
// Checking cells
// -------------------------------------------------------------------------------------------

export interface CellProblem {
  cellId: string;
  /** Dotted path inside the cells array: `cells.2.parameters.k`. */
  field: string;
  message: string;
}

function parameterProblems(cell: Cell, index: number): CellProblem[] {
  const at = (path: string) => `cells.${index}.${path}`;
  const wired = Object.keys(cell.inputs);
  if (cell.kind === UPLOAD_STEP) {
    const parsed = zUploadParameters.safeParse(cell.parameters);
    if (parsed.success) return [];
    return parsed.error.issues.map((i) => ({ cellId: cell.id, field: at(["parameters", ...i.path].join(".")), message: `parameters.${i.path.join(".")}: ${i.message}` }));
  }
  if (cell.kind === CODE_STEP) return codeParameterProblems(cell.parameters).map((p) => ({ cellId: cell.id, field: at(p.path), message: `${p.path}: ${p.message}` }));
  const kind = KINDS[cell.kind as KindName] as KindDefinition;
  let candidate = cell.parameters;
  for (const param of wired) candidate = withParameter(candidate, param, WIRES[cell.kind]?.[param]?.placeholder());
  const parsed = kind.parameters.safeParse(candidate);
  if (parsed.success) return [];
  return parsed.error.issues
    .filter((issue) => {
      const path = issue.path.join(".");
      // A wired parameter is checked with its real value when the cell runs; so are the checks
      // across parameters (k against the number of vectors…), which a placeholder would fail.
      if (wired.some((w) => path === w || path.startsWith(`${w}.`))) return false;
      return !(wired.length > 0 && issue.code === "custom");
    })
    .flatMap((issue) => {
      const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      return keys.map((path) => {
        const name = ["parameters", ...path.map(String)].join(".");
        const message = issue.code === "unrecognized_keys" ? `is not a parameter of ${cell.kind}` : issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
        return { cellId: cell.id, field: at(name), message: `${name}: ${message}` };
      });
    });
}

/** Cells in an order where each comes after the cells it reads (their order on the page otherwise); undefined if there is a cycle. */
export function dagOrder(cells: readonly Pick<Cell, "id" | "inputs">[]): string[] | undefined {
  const ids = new Set(cells.map((c) => c.id));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < cells.length) {
    const next = cells.find((c) => !done.has(c.id) && Object.values(c.inputs).every((src) => done.has(src) || !ids.has(src)));
    if (!next) return undefined;
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

/** One cycle among the cells, as the ids along it (first repeated at the end). */
function findCycle(cells: readonly Cell[]): string[] | undefined {
  const byId = new Map(cells.map((c) => [c.id, c]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "open");
    stack.push(id);
    for (const src of Object.values(byId.get(id)?.inputs ?? {})) {
      if (!byId.has(src)) continue;
      const cycle = visit(src);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const c of cells) {
    const cycle = visit(c.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Everything wrong with a notebook's cells, each naming its cell: a duplicate id, a step that is
 * not a kind, a target the kind cannot run on, parameters its kind refuses, an input that is not
 * a wireable parameter, names no cell or a cell of the wrong step, and a cycle.
 */
export function cellProblems(cells: readonly Cell[]): CellProblem[] {
  const problems: CellProblem[] = [];
  const byId = new Map<string, Cell>();
  cells.forEach((cell, index) => {
    const at = (path: string) => `cells.${index}.${path}`;
    const named = `cell "${cell.id}"`;
    if (byId.has(cell.id)) problems.push({ cellId: cell.id, field: at("id"), message: `${named}: another cell has this id` });
    byId.set(cell.id, cell);
    if (!isStep(cell.kind)) {
      problems.push({ cellId: cell.id, field: at("kind"), message: `${named}: ${unknownKindMessage(cell.kind)}` });
      return;
    }
    const runsOn = stepRunsOn(cell.kind);
    if (cell.target === "tab" && !runsOn.includes("tab")) {
      problems.push({ cellId: cell.id, field: at("target"), message: `${named}: ${cell.kind} cannot run in a tab (it runs on ${runsOn.join(", ")}): send it to a work pool` });
    }
    if (cell.target !== "tab" && cell.kind === UPLOAD_STEP) {
      problems.push({ cellId: cell.id, field: at("target"), message: `${named}: an upload happens in the tab` });
    }
    if (cell.target !== "tab" && cell.kind === CODE_STEP) {
      problems.push({ cellId: cell.id, field: at("target"), message: `${named}: a code cell runs in the tab's sandbox (a deployed notebook runs it on its node pool)` });
    }
    for (const p of parameterProblems(cell, index)) problems.push({ ...p, message: `${named}: ${p.message}` });
  });
  cells.forEach((cell, index) => {
    if (!isStep(cell.kind)) return;
    const named = `cell "${cell.id}"`;
    for (const [param, src] of Object.entries(cell.inputs)) {
      const field = `cells.${index}.inputs.${param}`;
      if (cell.kind === CODE_STEP) {
        const name = zCodeInputName.safeParse(param);
        if (!name.success) problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: ${name.error.issues[0]!.message}` });
        else if (src === cell.id) problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: a cell cannot read its own output` });
        else if (!byId.has(src)) problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: there is no cell "${src}"` });
        continue;
      }
      const wire = WIRES[cell.kind]?.[param];
      const wireable = Object.keys(WIRES[cell.kind] ?? {});
      if (!wire) {
        const which = wireable.length ? `its inputs: ${wireable.join(", ")}` : `${cell.kind} reads no other cell`;
        problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: is not a parameter it can read from another cell (${which})` });
        continue;
      }
      const source = byId.get(src);
      if (!source) {
        problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: there is no cell "${src}"` });
      } else if (src === cell.id) {
        problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: a cell cannot read its own output` });
      } else if (!wire.from.includes(source.kind)) {
        problems.push({ cellId: cell.id, field, message: `${named}: inputs.${param}: cell "${src}" is ${source.kind}; ${param} takes ${wire.describe}, from ${wire.from.join(" or ")}` });
      }
    }
  });
  const cycle = findCycle(cells);
  if (cycle && cycle.length > 2) {
    const index = cells.findIndex((c) => c.id === cycle[0]);
    problems.push({ cellId: cycle[0]!, field: `cells.${index}.inputs`, message: `cells ${cycle.map((id) => `"${id}"`).join(" → ")} form a cycle: each reads the next one's output` });
  }
  return problems;
}

// -------------------------------------------------------------------------------------------
// Freshness
// -------------------------------------------------------------------------------------------

/** JSON with object keys sorted, so equal values give equal text. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

/** FNV-1a, 64 bits, as hex: enough to tell one cell's versions apart, and synchronous. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/**
 * What a cell's output is made from: its step, its parameters, and the outputs it reads (by
 * their result ids). An output whose signature is not this one is stale.
 */
export function cellSignature(cell: Pick<Cell, "kind" | "parameters" | "inputs">, cells: readonly Pick<Cell, "id" | "outputResultId">[]): string {
  const reads = Object.fromEntries(Object.entries(cell.inputs).map(([param, src]) => [param, cells.find((c) => c.id === src)?.outputResultId ?? null]));
  return fnv1a64(stableJson({ kind: cell.kind, parameters: cell.parameters, reads }));
}

/**
 * Each cell's freshness: `fresh` (its output was made from what it reads now), `stale` (it has
 * an output, made from something else, or it reads a cell that is not fresh), `empty` (no
 * output yet).
 */
export function cellFreshness(cells: readonly Cell[]): Map<string, "fresh" | "stale" | "empty"> {
  const out = new Map<string, "fresh" | "stale" | "empty">();
  const order = dagOrder(cells) ?? cells.map((c) => c.id);
  for (const id of order) {
    const cell = cells.find((c) => c.id === id)!;
    const upstreamFresh = Object.values(cell.inputs).every((src) => out.get(src) === "fresh");
    if (!cell.outputResultId) out.set(id, "empty");
    else out.set(id, upstreamFresh && cell.outputSignature === cellSignature(cell, cells) ? "fresh" : "stale");
  }
  return out;
}

/** A cell and every cell downstream of it. */
export function downstreamOf(cells: readonly Pick<Cell, "id" | "inputs">[], id: string): Set<string> {
  const found = new Set([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of cells) {
      if (!found.has(c.id) && Object.values(c.inputs).some((src) => found.has(src))) {
        found.add(c.id);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * The parameter form's schema for a cell: its kind's, without the parameters it reads from
 * other cells and those a notebook cannot give (bytes, a Node worker's file path).
 */
export function formSchema(kind: string, wired: readonly string[]): Record<string, unknown> {
  if (!isKindName(kind)) return { type: "object", properties: {} };
  const schema = structuredClone(kindInfo(kind).parameterSchema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const props = schema.properties ?? {};
  // A nested wired parameter (`terms.texts`) takes its whole object off the form.
  const drop = new Set<string>(wired.map((w) => w.split(".")[0]!));
  for (const [name, node] of Object.entries(props)) if (node["x-baton-bytes"] || name === "path") drop.add(name);
  for (const name of drop) delete props[name];
  if (schema.required) schema.required = schema.required.filter((r) => !drop.has(r));
  return schema as Record<string, unknown>;
}

// -------------------------------------------------------------------------------------------
// Deployed: a pipeline flow
// -------------------------------------------------------------------------------------------

/** A deployed notebook's entrypoint: `pipeline:<notebook id>@<version>`, the saved version it runs. */
export const PIPELINE_PREFIX = "pipeline:";

export function pipelineEntrypoint(notebookId: string, version: number): string {
  return `${PIPELINE_PREFIX}${notebookId}@${version}`;
}

export function parsePipelineEntrypoint(entrypoint: string | null | undefined): { notebookId: string; version: number } | undefined {
  const m = entrypoint ? /^pipeline:([0-9a-f-]{36})@(\d+)$/i.exec(entrypoint) : null;
  return m ? { notebookId: m[1]!.toLowerCase(), version: Number(m[2]) } : undefined;
}

// -------------------------------------------------------------------------------------------
// A cell sent to a pool: a run of its kind's cell deployment there
// -------------------------------------------------------------------------------------------

/** The flow of the deployments that run notebook cells sent to a pool (from the page or a deployed notebook). */
export const CELL_FLOW = "notebook-cells";

/** The deployment that runs cells of `kind` on `pool`: `<kind>-<pool>`, entrypoint `kind:<kind>`. */
export function cellDeploymentName(kind: string, pool: string): string {
  return `${kind}-${pool}`.replace(/[^A-Za-z0-9_.-]+/g, "-");
}

export function cellDeploymentRef(kind: string, pool: string): string {
  return `${CELL_FLOW}/${cellDeploymentName(kind, pool)}`;
}

/**
 * A train result's ONNX model as bytes, however it travelled: a Uint8Array, a Node Buffer's JSON
 * (`{ type: "Buffer", data: [...] }`), or a Uint8Array's JSON (`{ "0": …, "1": … }`).
 */
export function onnxBytes(onnx: unknown): Uint8Array {
  if (onnx instanceof Uint8Array) return onnx;
  const data = (onnx as { type?: unknown; data?: unknown } | null)?.data;
  if (Array.isArray(data)) return Uint8Array.from(data as number[]);
  if (onnx && typeof onnx === "object") {
    const entries = Object.entries(onnx as Record<string, number>).filter(([k]) => /^\d+$/.test(k));
    const bytes = new Uint8Array(entries.length);
    for (const [k, v] of entries) bytes[Number(k)] = v;
    return bytes;
  }
  throw new Error("the trained model has no ONNX bytes");
}

/**
 * Where a deployed notebook's cell runs: in the pipeline's worker, or — when it names a pool of
 * its own other than the deployment's — as a child run on that pool.
 */
export function cellRunsApart(cell: Pick<Cell, "target">, deploymentPool: string): cell is Cell & { target: { pool: string } } {
  return cell.target !== "tab" && cell.target.pool !== deploymentPool;
}

/** A parameter a run on another pool cannot receive, because it is bytes (a file's, a model's). */
export function wireCarriesBytes(sourceKind: string, param: string): boolean {
  return sourceKind === UPLOAD_STEP || (sourceKind === "train" && param === "modelResultId");
}
