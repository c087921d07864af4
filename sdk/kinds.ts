/**
 * Built-in task kinds (pdf, encode, cluster, train, infer) called from flow code: `runKind`
 * gives a kind the current run's logger, metrics and abort signal, so its progress and metrics
 * land on the run like any task's.
 *
 *   await runKind("cluster", { vectors, k: 3 })   // by name: the registry's kind, its parameters checked first
 *   await runKind(encodeLexical, { texts })       // or any kind function (no registry check)
 *
 * By name, the parameters are checked against the registry's schema (workers/kinds/registry.ts)
 * before the kind starts, and a bad one throws naming its field, as on a worker.
 */
import type { KindName, KindParameters } from "../workers/kinds/registry";
import { createKindContext } from "../workers/kinds/context";
import type { TaskContext, TaskKind } from "../workers/kinds/types";
import { currentRun, log, metric } from "./context";

/** A kind called from flow code logs and records metrics on the current run (or the console outside one). */
function kindContext(): TaskContext {
  return createKindContext({ log, metric, signal: currentRun()?.signal ?? new AbortController().signal });
}

export function runKind<N extends KindName>(name: N, params: KindParameters<N>): Promise<unknown>;
export function runKind<P, R>(kind: TaskKind<P, R>, params: P): Promise<R>;
export async function runKind(kind: string | TaskKind<unknown, unknown>, params: unknown): Promise<unknown> {
  if (typeof kind === "function") return kind(params, kindContext());
  // The Node bindings (pdf.js's legacy build, onnxruntime-node): flow code runs in Node.
  const { loadKind } = await import("../workers/node/entrypoints");
  return (await loadKind(kind))(params, kindContext());
}
