/**
 * The contract every built-in task kind implements, shared by the Node worker and the browser
 * Web Worker. A kind is a plain async function of its parameters and a context; the context is
 * how it talks back (logs, metrics, progress) and learns it should stop (signal).
 */
import type { ResultReader } from "./exported-model";

export interface TaskContext {
  log(level: "debug" | "info" | "warn" | "error", message: string): void;
  metric(name: string, value: number, step?: number): void;
  progress(fraction: number, message?: string): void;
  signal: AbortSignal;
  /** Where the kind runs, when it matters (e.g. "webgpu", "wasm", "cpu", "cuda"). */
  device?: string;
  /**
   * Baton's results API, where the kind runs beside it (a Node worker, a tab worker): what
   * `infer` reads a model a run exported through. Absent in plain flow code and tests.
   */
  results?: ResultReader;
}

export type TaskKind<P, R> = (params: P, ctx: TaskContext) => Promise<R>;
