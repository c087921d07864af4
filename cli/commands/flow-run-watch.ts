/**
 * `baton flow-run watch ID`: a run live, one line per change (each state transition, each task
 * run changing state), until it ends; it exits with the code cli/run-updates.ts gives its final
 * state. Lines are plain, so a CI log reads the same; on a terminal a status line under them
 * keeps the state, the time it has run and the task runs' progress up to date.
 */
import { Command } from "commander";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/client";
import { STATE_TYPES, isTerminalState, type StateType } from "../../server/engine/state-types";
import { apiContext, print } from "../context";
import { formatState } from "../output/state";
import { out, stripAnsi } from "../output/style";
import { displayWidth, truncate } from "../output/table";
import { formatDuration, localTimestamp } from "../output/time";
import { exitCodeFor, followRun } from "../run-updates";

type Outputs = inferRouterOutputs<AppRouter>;
type FlowRun = Outputs["flowRuns"]["get"];
type HistoryRow = Outputs["flowRuns"]["history"][number];
type TaskRun = Outputs["taskRuns"]["list"][number];

type WatchEvent =
  | { type: "state"; at: string; row: HistoryRow }
  | { type: "task"; at: string; task: TaskRun; finished: boolean };

export function flowRunWatchCommand(): Command {
  return new Command("watch")
    .description("Follow a flow run live: its state changes and its task runs' progress, until it ends")
    .argument("<id>", "the run's id")
    .option("--json", "print one JSON object per change, then the run as it ended")
    .addHelpText(
      "after",
      `
Exits when the run ends: 0 if it COMPLETED, 2 FAILED, 3 CRASHED, 4 CANCELLED (1: the command
itself failed). Ctrl+C stops watching; the run goes on.`,
    )
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const { client, uiUrl } = apiContext(command, { retryRefusedMs: 30_000 });
      const run = await client.flowRuns.get.query({ id });
      const status = !opts.json && process.stdout.isTTY ? statusLine(process.stdout) : undefined;
      if (!opts.json) {
        const of = run.deploymentName ? `${run.flowName}/${run.deploymentName}` : run.flowName;
        print(`Watching flow run '${out.bold(run.name)}' of ${of} (${uiUrl}/runs/${run.id}); Ctrl+C stops watching, not the run.`);
      }

      let lastHistoryId = -1;
      /** Each task run's state at the previous poll; undefined before the first. */
      let seen: Map<string, { type: StateType; name: string }> | undefined;
      let tasks: TaskRun[] = [];
      const finalState = await followRun({
        client,
        runId: id,
        step: async () => {
          // History first: task runs fetched after it showed the end are in their final states.
          const history = await client.flowRuns.history.query({ id });
          tasks = await client.taskRuns.list.query({ flowRunId: id });
          const events: WatchEvent[] = history.filter((row) => row.id > lastHistoryId).map((row) => ({ type: "state", at: row.createdAt, row }));
          lastHistoryId = Math.max(lastHistoryId, ...history.map((row) => row.id));

          const before = seen;
          seen = new Map(tasks.map((task) => [task.id, { type: task.stateType, name: task.stateName }]));
          const wasFinished = (task: TaskRun) => {
            const previous = before?.get(task.id);
            return previous !== undefined && isTerminalState(previous.type);
          };
          if (before) {
            for (const task of tasks) {
              const previous = before.get(task.id);
              if (previous?.type === task.stateType && previous.name === task.stateName) continue;
              events.push({ type: "task", at: task.updatedAt, task, finished: isTerminalState(task.stateType) && !wasFinished(task) });
            }
          }
          events.sort((a, b) => a.at.localeCompare(b.at));

          status?.clear();
          // Counted in time order, so "(3/5 task runs finished)" grows line by line within one poll too.
          let finished = tasks.filter(wasFinished).length;
          for (const event of events) {
            if (event.type === "task" && event.finished) finished++;
            show(event, finished, tasks.length, opts.json);
          }
          // Task runs there before watching began: one summary line, not one line each.
          if (!before && tasks.length > 0 && !opts.json) {
            print(out.dim(`  ${tasks.length} task run${tasks.length === 1 ? "" : "s"} so far: ${taskProgress(tasks)}`));
          }

          const current = history.at(-1)?.toType;
          if (current && isTerminalState(current)) return current;
          status?.show(statusText(history, tasks));
          return undefined;
        },
      });

      status?.clear();
      const ended: FlowRun = await client.flowRuns.get.query({ id });
      // By the state that ended the watch (the run could be retried by hand a moment later).
      const code = exitCodeFor(finalState);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ type: "end", run: ended, exitCode: code })}\n`);
      } else {
        const took = ended.startTime && ended.endTime ? ` after ${formatDuration(Date.parse(ended.endTime) - Date.parse(ended.startTime))}` : "";
        const taskPart = tasks.length ? `; task runs: ${taskProgress(tasks)}` : "";
        print(
          `Flow run '${ended.name}' ended ${formatState(ended.stateType, ended.stateName)}${took}${taskPart}` +
            `${ended.stateMessage ? ` (${ended.stateMessage})` : ""}.${code ? ` Exit ${code}.` : ""}`,
        );
      }
      process.exitCode = code;
    });
}

function show(event: WatchEvent, finished: number, total: number, json: boolean | undefined): void {
  if (json) {
    const payload =
      event.type === "state"
        ? { type: "state", at: event.at, from: event.row.fromType ? { type: event.row.fromType, name: event.row.fromName } : null, to: { type: event.row.toType, name: event.row.toName }, message: event.row.message, actor: event.row.actor }
        : { type: "task", at: event.at, taskRunId: event.task.id, name: event.task.name, stateType: event.task.stateType, stateName: event.task.stateName, message: event.task.stateMessage, finished, total };
    process.stdout.write(`${JSON.stringify(payload)}\n`);
    return;
  }
  const time = out.dim(localTimestamp(new Date(event.at)));
  if (event.type === "state") {
    const { row } = event;
    const change = row.fromType
      ? `${formatState(row.fromType, row.fromName)} → ${formatState(row.toType, row.toName)}`
      : `created ${formatState(row.toType, row.toName)}`;
    print(`${time}  ${change}${row.message ? `  ${row.message}` : ""}${out.dim(`  (by ${row.actor})`)}`);
    return;
  }
  const { task } = event;
  const progress = event.finished ? out.dim(`  (${finished}/${total} task runs finished)`) : "";
  print(`${time}  task ${out.bold(task.name)}  ${formatState(task.stateType, task.stateName)}${task.stateMessage ? `  ${task.stateMessage}` : ""}${progress}`);
}

/** "3/5 finished: 2 completed, 1 failed, 1 running, 1 pending", states in the engine's order. */
export function taskProgress(tasks: readonly TaskRun[]): string {
  const counts = new Map<StateType, number>();
  for (const task of tasks) counts.set(task.stateType, (counts.get(task.stateType) ?? 0) + 1);
  const finished = tasks.filter((task) => isTerminalState(task.stateType)).length;
  const parts = STATE_TYPES.filter((type) => counts.has(type)).map((type) => `${counts.get(type)} ${type.toLowerCase()}`);
  return `${finished}/${tasks.length} finished: ${parts.join(", ")}`;
}

/** The status line's text: "● Running · 12.3 s · task runs 3/5 finished: …". */
function statusText(history: readonly HistoryRow[], tasks: readonly TaskRun[]): string {
  const last = history.at(-1);
  if (!last) return "";
  const started = history.find((row) => row.toType === "RUNNING");
  const running = started ? ` · ${formatDuration(Date.now() - Date.parse(started.createdAt))}` : "";
  const taskPart = tasks.length ? ` · task runs ${taskProgress(tasks)}` : "";
  return `${formatState(last.toType, last.toName)}${running}${taskPart}`;
}

/** One line at the bottom of a terminal, rewritten in place; cleared before anything else is printed. */
function statusLine(stream: NodeJS.WriteStream) {
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\u001b[2K");
    shown = false;
  };
  // Ctrl+C: leave the terminal clean and say what stopped (the run did not).
  process.once("SIGINT", () => {
    clear();
    stream.write("Stopped watching; the run goes on.\n");
    process.exit(130);
  });
  return {
    clear,
    show(text: string) {
      clear();
      // Never wider than the terminal: a wrapped line could not be rewritten in place.
      const width = (stream.columns || 80) - 1;
      const plain = stripAnsi(text);
      stream.write(displayWidth(plain) > width ? truncate(plain, width) : text);
      shown = true;
    },
  };
}
