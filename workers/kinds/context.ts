/**
 * The TaskContext a kind gets where it runs beside Baton's log sink: in the Node worker (a
 * `kind:` deployment, workers/node/execute.ts) and inside flow code (`runKind`, sdk/kinds.ts).
 * One place decides how progress reads in a run's log. (The tab's task Web Worker forwards
 * progress to the page as status events instead: workers/browser/task.worker.ts.)
 */
import type { LogLevel } from "../../common/log-levels";
import type { ResultReader } from "./exported-model";
import type { TaskContext } from "./types";

export interface KindSink {
  log(level: LogLevel, message: string): void;
  metric(name: string, value: number, step?: number): void;
  signal: AbortSignal;
  device?: string;
  results?: ResultReader;
}

/**
 * Progress becomes an info line at each new tenth (so at most 11 lines however often a kind
 * reports, with the message of the call that crossed it): long work shows it moving in the
 * run's log without flooding it. Fractions outside [0, 1] are clamped.
 */
export function createKindContext(sink: KindSink): TaskContext {
  let lastTenth = -1;
  return {
    log: (level, message) => sink.log(level, message),
    metric: (name, value, step) => sink.metric(name, value, step),
    progress: (fraction, message) => {
      const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
      const tenth = Math.floor(clamped * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      sink.log("info", `progress ${Math.round(clamped * 100)}%${message ? `: ${message}` : ""}`);
    },
    signal: sink.signal,
    device: sink.device,
    ...(sink.results ? { results: sink.results } : {}),
  };
}
