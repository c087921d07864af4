/**
 * Finding the code a run names. `path/to/file.ts:export` is a Baton flow in the worker's
 * checkout (imported through tsx, which the `baton` binary registers), `kind:<name>` a built-in
 * task kind of the registry (workers/kinds/registry.ts). Modules are cached by Node for the life of the process:
 * the worker loads flows only in flow processes (flow-process.ts), one run each, so each run
 * loads the file as it is then.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isFlow, type FlowDefinition } from "../../sdk/flow";
import { FLOW } from "../../sdk/flow";
import { checkKindParameters, isKindName, KINDS, unknownKindMessage, type KindsOn } from "../kinds/registry";
import type { TaskKind } from "../kinds/types";

export class EntrypointError extends Error {
  override name = "EntrypointError";
}

export function parseEntrypoint(entrypoint: string): { file: string; exportName: string } {
  const at = entrypoint.lastIndexOf(":");
  if (at <= 0 || at === entrypoint.length - 1) {
    throw new EntrypointError(`entrypoint "${entrypoint}" must be path/to/file.ts:exportName or kind:<name>`);
  }
  return { file: entrypoint.slice(0, at), exportName: entrypoint.slice(at + 1) };
}

export async function loadFlow(entrypoint: string, checkout: string): Promise<FlowDefinition> {
  const { file, exportName } = parseEntrypoint(entrypoint);
  // Inside the code root only: a deployment must not point the worker at any file on its disk.
  const root = path.resolve(checkout);
  const abs = path.resolve(root, file);
  if (path.isAbsolute(file) || (abs !== root && !abs.startsWith(root + path.sep))) {
    throw new EntrypointError(`entrypoint file ${file} is outside the worker's code root (${root}); only paths inside it may run`);
  }
  if (!existsSync(abs)) throw new EntrypointError(`entrypoint file ${file} was not found in the worker's checkout (${checkout})`);
  return flowExport((await import(pathToFileURL(abs).href)) as Record<string, unknown>, file, exportName);
}

/**
 * A flow delivered with its deployment (`baton deploy` bundles it; ./code.ts fetches it): the
 * bundle reads Baton's SDK from this process, so it is handed this process's SDK first.
 */
export async function loadBundledFlow(bundle: string, entrypoint: string): Promise<FlowDefinition> {
  const { file, exportName } = parseEntrypoint(entrypoint);
  const g = globalThis as Record<symbol, unknown>;
  g[Symbol.for("baton.sdk")] ??= await import("../../sdk");
  return flowExport((await import(pathToFileURL(bundle).href)) as Record<string, unknown>, `${file} (as deployed)`, exportName);
}

function flowExport(mod: Record<string, unknown>, file: string, exportName: string): FlowDefinition {
  const value = mod[exportName];
  if (value === undefined) throw new EntrypointError(`${file} has no export named ${exportName} (it exports: ${Object.keys(mod).join(", ") || "nothing"})`);
  if (!isFlow(value)) throw new EntrypointError(`${file}:${exportName} is not a Baton flow (wrap it with flow() from sdk/)`);
  return value[FLOW];
}

/**
 * The Node binding of each kind the registry lets a Node worker run (workers/kinds/registry.ts),
 * imported on first use: pdf and infer through workers/kinds/node/* (pdf.js's legacy build,
 * onnxruntime-node, files on the worker's disk), the rest as shared code. Typed by the registry,
 * so a kind added there for `node` or `gpu` cannot be forgotten here.
 */
const NODE_KINDS: { [N in KindsOn<"node"> | KindsOn<"gpu">]: () => Promise<TaskKind<never, unknown>> } = {
  pdf: async () => (await import("../kinds/node/pdf")).pdf as TaskKind<never, unknown>,
  encode: async () => (await import("../kinds/encode")).encode as TaskKind<never, unknown>,
  cluster: async () => (await import("../kinds/cluster")).cluster as TaskKind<never, unknown>,
  train: async () => (await import("../kinds/train")).train as TaskKind<never, unknown>,
  infer: async () => (await import("../kinds/node/infer")).infer as TaskKind<never, unknown>,
};

/**
 * `kind:<name>` → the registry's kind, bound to its Node code, checking a run's parameters
 * against the kind's schema before it starts (a bad one fails the run with the field named:
 * "cluster: parameters.vectors: is required"). Only the registry's kinds: the modules they are
 * built from (kmeans, tokenize…) are not kinds.
 */
export async function loadKind(name: string): Promise<TaskKind<unknown, unknown>> {
  if (!isKindName(name)) throw new EntrypointError(unknownKindMessage(name));
  const runsOn = KINDS[name].runsOn as readonly string[];
  if (!Object.hasOwn(NODE_KINDS, name)) {
    throw new EntrypointError(`task kind "${name}" runs on ${runsOn.join(", ")}, not on a Node worker`);
  }
  const kind = await NODE_KINDS[name as keyof typeof NODE_KINDS]();
  return (params, ctx) => {
    try {
      checkKindParameters(name, params);
    } catch (err) {
      return Promise.reject(err);
    }
    return kind(params as never, ctx);
  };
}
