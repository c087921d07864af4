/** `baton deployment …`: list, inspect, run, pause, resume and delete deployments (a flow plus where, when and how). */
import { describeCode } from "./deploy";
import { Command, Option } from "commander";
import { describeSchedule } from "../../common/schedule-description";
import type { BatonClient } from "../../server/client";
import { apiContext, print, printJson } from "../context";
import { collect, parseInteger } from "../options";
import { collectParameters, scheduledTimeFrom } from "../params";
import { formatState } from "../output/state";
import { out } from "../output/style";
import { relativeTime, timestampWithRelative } from "../output/time";
import { renderDetails, renderTable, terminalWidth } from "../output/table";

export function deploymentCommand(): Command {
  const cmd = new Command("deployment").description("List, inspect, run, pause, resume and delete deployments");

  cmd
    .command("ls")
    .description("List deployments")
    .option("--flow <flow>", "only this flow's (name or id)")
    .option("--pool <pool>", "only those that send work to this pool (name or id)")
    .option("--json", "print JSON")
    .action(async (opts: { flow?: string; pool?: string; json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const deployments = await client.deployments.list.query({ flow: opts.flow, workPool: opts.pool });
      if (opts.json) return printJson(deployments);
      if (deployments.length === 0) {
        print(
          opts.flow || opts.pool
            ? "No deployments match."
            : "No deployments yet. Create one from the UI or through the API (deployments.create).",
        );
        return;
      }
      print(
        renderTable(
          deployments,
          [
            { header: "NAME", value: (d) => `${d.flowName}/${d.name}` },
            { header: "POOL", value: (d) => d.workPoolName ?? "-" },
            { header: "QUEUE", value: (d) => d.workQueueName ?? "-" },
            {
              header: "SCHEDULE",
              value: (d) => d.schedules.map(describeSchedule).join("; ") || "-",
            },
            {
              header: "STATUS",
              value: (d) => (d.paused ? "paused" : d.scheduleError ? "not scheduling" : "ready"),
              paint: (d) => (d.paused ? out.yellow : d.scheduleError ? out.red : out.green),
              shrink: false,
            },
            { header: "UPDATED", value: (d) => relativeTime(d.updatedAt), shrink: false },
            { header: "ID", value: (d) => d.id, paint: () => out.dim, shrink: false },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
    });

  cmd
    .command("inspect")
    .description("Show a deployment's settings, parameters and schedules")
    .argument("<name>", "FLOW/DEPLOYMENT, or the deployment's id")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const d = await client.deployments.get.query({ deployment: name });
      if (opts.json) return printJson(d);
      print(
        renderDetails([
          ["Name", out.bold(`${d.flowName}/${d.name}`)],
          ["ID", d.id],
          ["Version", d.version],
          ["Description", d.description],
          ["Entrypoint", d.entrypoint],
          ["Code", describeCode(d)],
          ["Work pool", d.workPoolName],
          ["Work queue", d.workQueueName],
          ["Status", d.paused ? out.yellow("paused") : out.green("ready")],
          ["Schedule error", d.scheduleError ? out.red(`${d.scheduleError} (since ${timestampWithRelative(d.scheduleErrorAt)})`) : undefined],
          ["Tags", d.tags.join(", ")],
          ["Enforce schema", d.enforceParameterSchema ? "yes" : "no"],
          ["Created", timestampWithRelative(d.createdAt)],
          ["Updated", timestampWithRelative(d.updatedAt)],
        ]),
      );
      print();
      print(out.bold("Schedules"));
      print(d.schedules.length ? d.schedules.map((s) => `  ${describeSchedule(s)}`).join("\n") : out.dim("  none"));
      print();
      print(out.bold("Default parameters"));
      print(indent(JSON.stringify(d.parameters ?? {}, null, 2)));
      if (Object.keys(d.policy ?? {}).length > 0) {
        print();
        print(out.bold("Run policy (every run gets it)"));
        print(indent(JSON.stringify(d.policy, null, 2)));
      }
      // Only when set: most deployments run the pool's job template as it is.
      if (Object.keys(d.jobVariables ?? {}).length > 0) {
        print();
        print(out.bold("Job variables (over the pool's job template)"));
        print(indent(JSON.stringify(d.jobVariables, null, 2)));
      }
      if (d.parameterSchema && Object.keys(d.parameterSchema).length > 0) {
        print();
        print(out.bold("Parameter schema"));
        print(indent(JSON.stringify(d.parameterSchema, null, 2)));
      }
    });

  cmd
    .command("run")
    .description("Create a flow run of a deployment; a worker of its pool picks it up")
    .argument("<name>", "FLOW/DEPLOYMENT, or the deployment's id")
    .option("-p, --param <key=value>", "a parameter; the value is read as JSON when it parses, else as a string (repeatable)", collect)
    .option("--params <json>", "parameters as one JSON object (--param values override it)")
    .addOption(new Option("--start-in <duration>", 'schedule it later, e.g. "10 minutes", "2h"').conflicts("startAt"))
    .option("--start-at <time>", "schedule it at an ISO 8601 time, e.g. 2026-11-03T14:00:00Z")
    .option("--tag <tag>", "a tag for the run, added to the deployment's (repeatable)", collect)
    .option("--idempotency-key <key>", "running again with the same key returns the same run")
    .option("--priority <n>", "lower runs first within its queue", parseInteger)
    .option("--name <name>", "the run's name (default: a generated one)")
    .option("--json", "print the created run as JSON")
    .action(
      async (
        name: string,
        opts: {
          param?: string[];
          params?: string;
          startIn?: string;
          startAt?: string;
          tag?: string[];
          idempotencyKey?: string;
          priority?: number;
          name?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        // Check the arguments before calling anything, so a typo never creates a run.
        const parameters = collectParameters(opts);
        const scheduledTime = scheduledTimeFrom(opts);
        const { client, uiUrl } = apiContext(command);
        const run = await client.deployments.run.mutate({
          deployment: name,
          parameters,
          scheduledTime,
          tags: opts.tag,
          idempotencyKey: opts.idempotencyKey,
          priority: opts.priority,
          name: opts.name,
        });
        if (opts.json) return printJson(run);
        print(`Created flow run '${out.bold(run.name)}' for deployment ${run.flowName}/${run.deploymentName ?? name}.`);
        print(
          renderDetails(
            [
              ["ID", run.id],
              ["State", formatState(run.stateType, run.stateName)],
              ["Scheduled", timestampWithRelative(run.scheduledTime)],
              ["Work pool", run.workPoolName ? `${run.workPoolName}${run.workQueueName ? ` / ${run.workQueueName}` : ""}` : undefined],
              ["Parameters", JSON.stringify(run.parameters ?? {})],
              ["URL", `${uiUrl}/runs/${run.id}`],
            ],
            { indent: 2 },
          ),
        );
        if (!run.workPoolName) {
          print(out.yellow("  This deployment has no work pool, so no worker will pick the run up."));
        }
      },
    );

  for (const [verb, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    cmd
      .command(verb)
      .description(
        paused
          ? "Pause a deployment: its schedules make no runs and it cannot be run until it is resumed"
          : "Resume a paused deployment: its schedules make runs again and it can be run",
      )
      .argument("<name>", "FLOW/DEPLOYMENT, or the deployment's id")
      .option("--json", "print the deployment as JSON")
      .action(async (name: string, opts: { json?: boolean }, command: Command) => {
        const { client } = apiContext(command);
        const before = await client.deployments.get.query({ deployment: name });
        const label = `${before.flowName}/${before.name}`;
        const unchanged = before.paused === paused;
        const after = unchanged ? before : await client.deployments.update.mutate({ deployment: before.id, paused });
        if (opts.json) return printJson(after);
        if (unchanged) {
          print(`Deployment ${out.bold(label)} is already ${paused ? "paused" : "running its schedules (not paused)"}; nothing changed.`);
          return;
        }
        const scheduled = after.schedules.filter((s) => s.active);
        if (paused) {
          const waiting = await waitingRuns(client, after.id);
          const now = Date.now();
          const withdrawn = waiting.filter((r) => isWithdrawnOnPause(r, now)).length;
          const staying = waiting.length - withdrawn;
          print(`Paused deployment ${out.bold(label)}: ${scheduled.length ? "its schedules make no runs and " : ""}baton deployment run refuses it until it is resumed.`);
          if (withdrawn) print(`  The scheduler withdraws the ${plural(withdrawn, "upcoming run")} its schedules made, at its next pass.`);
          if (staying) print(`  ${plural(staying, "other run")} waiting to start ${staying === 1 ? "stays" : "stay"} queued (made by hand, retries, or already due): workers still run them.`);
          if (!withdrawn && !staying) print("  No runs of it are waiting to start.");
        } else {
          print(
            `Resumed deployment ${out.bold(label)}: ` +
              (scheduled.length
                ? `its schedules (${scheduled.map(describeSchedule).join("; ")}) make runs again from the scheduler's next pass, and baton deployment run works again.`
                : "baton deployment run works again; it has no active schedule, so it makes no runs of its own."),
          );
          if (after.scheduleError) print(out.yellow(`  Before it was paused the scheduler could not make its runs: ${after.scheduleError}`));
        }
      });
  }

  cmd
    .command("delete")
    .description("Delete a deployment and its schedules; its runs still waiting to start are cancelled")
    .argument("<name>", "FLOW/DEPLOYMENT, or the deployment's id")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const result = await client.deployments.delete.mutate({ deployment: name });
      if (opts.json) return printJson(result);
      const n = result.withdrawnRuns;
      print(`Deleted deployment ${out.bold(name)}; withdrew ${n} scheduled run${n === 1 ? "" : "s"} (now CANCELLED).`);
    });

  return cmd;
}

type WaitingRun = Awaited<ReturnType<BatonClient["flowRuns"]["list"]["query"]>>["items"][number];

/** Every run of the deployment still waiting to start (SCHEDULED), page by page. */
async function waitingRuns(client: BatonClient, deploymentId: string): Promise<WaitingRun[]> {
  const runs: WaitingRun[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: WaitingRun[]; nextCursor: string | null } = await client.flowRuns.list.query({
      deployment: deploymentId,
      states: ["SCHEDULED"],
      limit: 500,
      cursor,
    });
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return runs;
}

/**
 * Whether the scheduler takes this run back now that its deployment is paused: one its schedules
 * made (tagged auto-scheduled), still plainly Scheduled (not Late, not AwaitingRetry) and not yet
 * due — the rule of removeRunsOfPausedSchedules in server/services/scheduler.ts.
 */
function isWithdrawnOnPause(run: WaitingRun, now: number): boolean {
  return run.tags.includes("auto-scheduled") && run.stateName === "Scheduled" && Date.parse(run.scheduledTime) > now;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function indent(text: string, by = 2): string {
  const pad = " ".repeat(by);
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}
