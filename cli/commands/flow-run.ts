/** `baton flow-run …`: list, inspect, follow (logs, watch) and cancel flow runs. */
import { Command, InvalidArgumentError } from "commander";
import { apiContext, print, printJson } from "../context";
import { collect, parsePositiveInt } from "../options";
import { formatState, statePaint } from "../output/state";
import { out } from "../output/style";
import { localTimestamp, relativeTime, timestampWithRelative } from "../output/time";
import { renderDetails, renderTable, terminalWidth } from "../output/table";
import { STATE_TYPES, type StateType } from "../../server/engine/state-types";
import { flowRunLogsCommand } from "./flow-run-logs";
import { flowRunWatchCommand } from "./flow-run-watch";


/** `--state running` or `--state RUNNING,FAILED` → ["RUNNING", "FAILED"]. */
function collectStates(value: string, previous: StateType[] | undefined): StateType[] {
  const states = value
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const s of states) {
    if (!(STATE_TYPES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`"${s}" is not a state; use one of ${STATE_TYPES.join(", ")}.`);
    }
  }
  return [...(previous ?? []), ...(states as StateType[])];
}

export function flowRunCommand(): Command {
  const cmd = new Command("flow-run").description("List, inspect, follow and cancel flow runs");

  cmd
    .command("ls")
    .description("List flow runs, newest first")
    .option("--state <state>", `only runs in these states (repeatable or comma-separated: ${STATE_TYPES.join(", ")})`, collectStates)
    .option("--flow <flow>", "only runs of this flow (name or id)")
    .option("--deployment <deployment>", "only runs of this deployment (FLOW/DEPLOYMENT or id)")
    .option("--pool <pool>", "only runs sent to this work pool (name or id)")
    .option("--tag <tag>", "only runs with this tag (repeatable)", collect)
    .option("--limit <n>", "how many to show", parsePositiveInt, 20)
    .option("--json", "print JSON")
    .action(
      async (
        opts: { state?: StateType[]; flow?: string; deployment?: string; pool?: string; tag?: string[]; limit: number; json?: boolean },
        command: Command,
      ) => {
        const { client } = apiContext(command);
        const { items, nextCursor } = await client.flowRuns.list.query({
          states: opts.state,
          flow: opts.flow,
          deployment: opts.deployment,
          workPool: opts.pool,
          tags: opts.tag,
          limit: opts.limit,
        });
        if (opts.json) return printJson(items);
        if (items.length === 0) {
          const filtered = opts.state || opts.flow || opts.deployment || opts.pool || opts.tag;
          print(
            filtered
              ? "No flow runs match."
              : "No flow runs yet. Start one with: baton deployment run FLOW/DEPLOYMENT",
          );
          return;
        }
        print(
          renderTable(
            items,
            [
              { header: "ID", value: (r) => r.id, paint: () => out.dim, shrink: false },
              { header: "NAME", value: (r) => r.name },
              { header: "FLOW", value: (r) => r.flowName },
              { header: "DEPLOYMENT", value: (r) => r.deploymentName ?? "-" },
              {
                header: "STATE",
                value: (r) => r.stateName || r.stateType,
                paint: (r) => statePaint(r.stateType),
                shrink: false,
              },
              { header: "WHEN", value: (r) => relativeTime(whenOf(r)), shrink: false },
            ],
            { maxWidth: terminalWidth() },
          ),
        );
        if (nextCursor) print(out.dim(`Showing the newest ${items.length}; use --limit to see more.`));
      },
    );

  cmd
    .command("inspect")
    .description("Show a flow run and its state history")
    .argument("<id>", "the run's id")
    .option("--json", "print JSON (the run, with its history)")
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const { client, uiUrl } = apiContext(command);
      const [run, history] = await Promise.all([client.flowRuns.get.query({ id }), client.flowRuns.history.query({ id })]);
      // For a run that has not started, the server can say why (no worker, pool paused, limits…).
      const waitingReason =
        run.stateType === "SCHEDULED"
          ? await client.flowRuns.explain.query({ id }).then(
              (e) => e.reason,
              () => null,
            )
          : null;
      if (opts.json) return printJson({ ...run, waitingReason, history });
      print(
        renderDetails([
          ["Name", out.bold(run.name)],
          ["ID", run.id],
          ["Flow", run.flowName],
          ["Deployment", run.deploymentName],
          ["State", formatState(run.stateType, run.stateName)],
          ["Message", run.stateMessage ?? undefined],
          ["Waiting", waitingReason ? out.yellow(`not started: ${waitingReason}`) : undefined],
          [
            "Work pool",
            run.workPoolName ? `${run.workPoolName}${run.workQueueName ? ` / ${run.workQueueName}` : ""}` : null,
          ],
          ["Parent run", run.parentFlowRunId ?? undefined],
          ["Scheduled", timestampWithRelative(run.scheduledTime)],
          ["Started", timestampWithRelative(run.startTime)],
          ["Ended", timestampWithRelative(run.endTime)],
          ["Attempts", `${run.runCount} (retries allowed: ${run.maxRetries})`],
          ["Priority", run.priority],
          ["Tags", run.tags.join(", ")],
          ["Idempotency key", run.idempotencyKey ?? undefined],
          ["Parameters", JSON.stringify(run.parameters ?? {})],
          ["URL", `${uiUrl}/runs/${run.id}`],
        ]),
      );
      print();
      print(out.bold("State history"));
      if (history.length === 0) {
        print(out.dim("  none"));
        return;
      }
      print(
        renderTable(
          history,
          [
            { header: "WHEN", value: (h) => localTimestamp(new Date(h.createdAt)), shrink: false },
            {
              header: "FROM",
              value: (h) => (h.fromType ? h.fromName || h.fromType : "-"),
              paint: (h) => (h.fromType ? statePaint(h.fromType) : undefined),
              shrink: false,
            },
            {
              header: "TO",
              value: (h) => h.toName || h.toType,
              paint: (h) => statePaint(h.toType),
              shrink: false,
            },
            { header: "BY", value: (h) => h.actor ?? "" },
            { header: "MESSAGE", value: (h) => h.message ?? "", paint: () => out.dim },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
    });

  cmd.addCommand(flowRunLogsCommand());
  cmd.addCommand(flowRunWatchCommand());

  cmd
    .command("cancel")
    .description("Cancel a flow run (a running one is asked to stop: CANCELLING, then CANCELLED)")
    .argument("<id>", "the run's id")
    .option("--message <text>", "why, recorded in its state history")
    .action(async (id: string, opts: { message?: string }, command: Command) => {
      const { client } = apiContext(command);
      const run = await client.flowRuns.cancel.mutate({ id, message: opts.message });
      if (run.stateType === "CANCELLING") {
        print(`Flow run '${run.name}' is ${formatState(run.stateType, run.stateName)}: its worker will stop it.`);
      } else {
        print(`Flow run '${run.name}' is ${formatState(run.stateType, run.stateName)}.`);
      }
    });

  return cmd;
}

/** The time that matters for a run in its state: end, else start, else when it is due. */
function whenOf(run: { scheduledTime: string | null; startTime: string | null; endTime: string | null }): string | null {
  return run.endTime ?? run.startTime ?? run.scheduledTime;
}
