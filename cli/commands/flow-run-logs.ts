/**
 * `baton flow-run logs ID`: a run's log lines, oldest first; with `--follow`, new lines as they
 * arrive until the run ends, exiting with a code that says how it ended (cli/run-updates.ts).
 *
 * stdout carries only the lines (or JSON), so it pipes into grep or a file; what the command
 * says about itself (following, how the run ended, no lines) goes to stderr.
 */
import { Command, Option } from "commander";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter, BatonClient } from "../../server/client";
import { isTerminalState } from "../../server/engine/state-types";
import { apiContext, print } from "../context";
import { CliError } from "../errors";
import { parsePositiveInt } from "../options";
import { formatLogLine, levelName, parseLogLevel } from "../output/logs";
import { formatState } from "../output/state";
import { err } from "../output/style";
import { exitCodeFor, followRun } from "../run-updates";

type Outputs = inferRouterOutputs<AppRouter>;
type LogRow = Outputs["logs"]["list"]["items"][number];
type TaskRun = Outputs["taskRuns"]["list"][number];

/** The most logs.list gives in one page. */
const PAGE = 1000;

interface LogsOptions {
  follow?: boolean;
  level?: number;
  task?: string;
  limit?: number;
  json?: boolean;
}

export function flowRunLogsCommand(): Command {
  return new Command("logs")
    .description("Print a flow run's log lines, oldest first (--follow: keep printing until the run ends)")
    .argument("<id>", "the run's id")
    .option("-f, --follow", "keep printing new lines until the run ends; exit 0 if it COMPLETED, 2 FAILED, 3 CRASHED, 4 CANCELLED")
    .option("--level <level>", "only lines at this level or above: debug, info, warning, error, critical, or a number", parseLogLevel)
    .option("--task <name>", "only this task run's lines (its name, its task key, or its id)")
    .addOption(new Option("--limit <n>", "at most this many lines, the oldest").argParser(parsePositiveInt).conflicts("follow"))
    .option("--json", "print JSON: an array of lines; with --follow, one line object per output line")
    .addHelpText(
      "after",
      `
Each line reads: local time, level, [task run] and the message.

Examples:
  baton flow-run logs 3f2c…                    every line so far
  baton flow-run logs 3f2c… --level warning    warnings and errors only
  baton flow-run logs 3f2c… -f && echo done    follow it to the end; exit 0 only if it COMPLETED`,
    )
    .action(async (id: string, opts: LogsOptions, command: Command) => {
      const { client } = apiContext(command, opts.follow ? { retryRefusedMs: 30_000 } : {});
      // Unknown ids fail here, by name: logs.list of a missing run is just empty.
      const run = await client.flowRuns.get.query({ id });
      const tasks = taskDirectory(client, id);
      await tasks.refresh();
      if (opts.task && !tasks.matches(opts.task) && (!opts.follow || isTerminalState(run.stateType))) {
        const names = tasks.names();
        const listed = names.length > 10 ? `${names.slice(0, 10).join(", ")} and ${names.length - 10} more` : names.join(", ");
        throw new CliError(`Flow run '${run.name}' has no task run "${opts.task}" (${names.length ? `its task runs: ${listed}` : "it has no task runs"}).`);
      }

      const shown: ReturnType<typeof lineJson>[] = [];
      let moreThanLimit = false;
      const emit = async (rows: readonly LogRow[]): Promise<void> => {
        await tasks.know(rows.flatMap((r) => (r.taskRunId ? [r.taskRunId] : [])));
        for (const row of rows) {
          const task = row.taskRunId ? tasks.get(row.taskRunId) : undefined;
          if (opts.task && !(task && taskIs(task, opts.task))) continue;
          if (opts.limit !== undefined && shown.length >= opts.limit) {
            moreThanLimit = true;
            return;
          }
          const line = lineJson(row, task);
          shown.push(line);
          if (opts.json && opts.follow) process.stdout.write(`${JSON.stringify(line)}\n`);
          else if (!opts.json) print(formatLogLine(line));
        }
      };

      // What is there now, in time order, page by page; the last id seen is where following starts.
      let lastId = 0;
      let cursor: string | null = null;
      do {
        const page: Outputs["logs"]["list"] = await client.logs.list.query({ flowRunId: id, minLevel: opts.level, limit: PAGE, cursor });
        await emit(page.items);
        if (page.lastId !== null) lastId = Math.max(lastId, page.lastId);
        cursor = page.nextCursor;
      } while (cursor && !moreThanLimit);

      if (!opts.follow) {
        if (opts.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        else if (shown.length === 0) note(`No log lines${describeFilter(opts)} for flow run '${run.name}' (${formatState(run.stateType, run.stateName, err)}).`);
        else if (moreThanLimit) note(`Showing the first ${shown.length} lines; raise --limit to see more.`);
        return;
      }

      if (!isTerminalState(run.stateType)) {
        note(`Following flow run '${run.name}' (${formatState(run.stateType, run.stateName, err)}) until it ends; Ctrl+C stops following.`);
      }
      const final = await followRun({
        client,
        runId: id,
        step: async () => {
          // The state first: lines fetched after seeing it ended include all it wrote before.
          const current = await client.flowRuns.get.query({ id });
          for (;;) {
            const page = await client.logs.list.query({ flowRunId: id, minLevel: opts.level, limit: PAGE, afterId: lastId });
            await emit(page.items);
            if (page.lastId !== null) lastId = Math.max(lastId, page.lastId);
            if (page.items.length < PAGE) break;
          }
          return isTerminalState(current.stateType) ? current : undefined;
        },
      });
      const code = exitCodeFor(final.stateType);
      note(
        `Flow run '${final.name}' ended ${formatState(final.stateType, final.stateName, err)}` +
          `${final.stateMessage ? `: ${final.stateMessage}` : ""}${code ? ` (exit ${code})` : ""}.`,
      );
      process.exitCode = code;
    });
}

function note(text: string): void {
  process.stderr.write(`${err.dim(text)}\n`);
}

function describeFilter(opts: LogsOptions): string {
  const parts = [
    opts.level !== undefined ? ` at ${levelName(opts.level)} or above` : "",
    opts.task ? ` from task run "${opts.task}"` : "",
  ];
  return parts.join("");
}

/** A line as --json prints it: the stored line with its level and task run named. */
function lineJson(row: LogRow, task: TaskRun | undefined) {
  return {
    id: row.id,
    timestamp: row.timestamp,
    level: row.level,
    levelName: levelName(row.level),
    flowRunId: row.flowRunId,
    taskRunId: row.taskRunId,
    taskName: task?.name ?? null,
    message: row.message,
  };
}

/** `--task` names a task run by its name, its task key (all of that task's runs) or its id. */
function taskIs(task: TaskRun, wanted: string): boolean {
  return task.name === wanted || task.taskKey === wanted || task.id === wanted;
}

/** The run's task runs by id, fetched again only when a line names one not yet seen. */
function taskDirectory(client: BatonClient, flowRunId: string) {
  const byId = new Map<string, TaskRun>();
  const refresh = async () => {
    for (const task of await client.taskRuns.list.query({ flowRunId })) byId.set(task.id, task);
  };
  return {
    refresh,
    async know(ids: readonly string[]) {
      if (ids.some((taskId) => !byId.has(taskId))) await refresh();
    },
    get: (taskId: string) => byId.get(taskId),
    matches: (wanted: string) => [...byId.values()].some((task) => taskIs(task, wanted)),
    names: () => [...new Set([...byId.values()].map((task) => task.name))],
  };
}
