/**
 * The DAG of a flow run, found from the values that pass between its tasks, as Prefect finds
 * task inputs: a task's result that is an object or array is remembered as the output of its
 * task run; a later task of the same flow run called with that very value (as an argument, or
 * inside one, a few levels down) lists that task run as upstream. Numbers, strings and booleans
 * have no identity to follow, so a task fed only those has no recorded upstream.
 */

/** Who produced an object: its flow run and task run (only the same flow run's tasks link). */
const producers = new WeakMap<object, { flowRunId: string; taskRunId: string }>();

/** How deep into arguments to look, and how many values at most (a large array is not walked whole). */
const MAX_DEPTH = 3;
const MAX_VISITS = 10_000;
/** The most upstream links a task run may have (taskRuns.create's bound). */
export const MAX_UPSTREAM = 1000;

/** Records a task run's result as its output, when it is a value that can be followed. */
export function rememberResult(value: unknown, flowRunId: string, taskRunId: string): void {
  if (typeof value === "object" && value !== null && !producers.has(value)) producers.set(value, { flowRunId, taskRunId });
}

/** The task runs of this flow run whose results appear among `args`, in the order met. */
export function upstreamOf(args: unknown[], flowRunId: string): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  let visits = 0;
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== "object" || value === null || seen.has(value) || visits++ >= MAX_VISITS) return;
    seen.add(value);
    const producer = producers.get(value);
    if (producer?.flowRunId === flowRunId && found.size < MAX_UPSTREAM) found.add(producer.taskRunId);
    if (depth >= MAX_DEPTH || ArrayBuffer.isView(value)) return;
    const children = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : isPlain(value) ? Object.values(value) : [];
    for (const child of children) {
      if (visits >= MAX_VISITS) return;
      if (typeof child === "object") visit(child, depth + 1);
    }
  };
  for (const arg of args) visit(arg, 0);
  return [...found];
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
