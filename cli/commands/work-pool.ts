/** `baton work-pool …`: where work goes (browser tabs, Node workers, process commands). */
import { Command, Option } from "commander";
import { apiContext, print, printJson } from "../context";
import { CliError } from "../errors";
import { parseNonNegativeInt } from "../options";
import { out } from "../output/style";
import { relativeTime } from "../output/time";
import { renderDetails, renderTable, terminalWidth } from "../output/table";

const POOL_TYPES = ["browser", "node", "process"] as const;

export function workPoolCommand(): Command {
  const cmd = new Command("work-pool").description("Manage work pools: where runs go to be picked up by workers");

  cmd
    .command("create")
    .description("Create a work pool (with a `default` queue)")
    .argument("<name>", "name of the pool")
    .addOption(new Option("--type <type>", "who runs its work").choices(POOL_TYPES).makeOptionMandatory())
    .option("--concurrency-limit <n>", "most runs of this pool at once", parseNonNegativeInt)
    .option("--description <text>", "what the pool is for")
    .option("--paused", "create it paused (workers claim nothing until resumed)")
    .option("--job-template <json>", `a process pool's base job template, e.g. '{"command": ["python3", "train.py"], "env": {"BATON_MODEL_DIR": "/models/minilm"}}' (keys: command, env, workingDir, checkpointIntervalSeconds)`)
    .action(async (name: string, opts: { type: (typeof POOL_TYPES)[number]; concurrencyLimit?: number; description?: string; paused?: boolean; jobTemplate?: string }, command: Command) => {
      const baseJobTemplate = opts.jobTemplate === undefined ? undefined : parseJobTemplate(opts.jobTemplate);
      const { client } = apiContext(command);
      const pool = await client.workPools.create.mutate({
        name,
        type: opts.type,
        concurrencyLimit: opts.concurrencyLimit,
        description: opts.description,
        paused: opts.paused,
        ...(baseJobTemplate ? { baseJobTemplate } : {}),
      });
      print(`Created work pool '${pool.name}' (type ${pool.type}${pool.paused ? ", paused" : ""}).`);
      print(out.dim(`Start a worker for it to run work, or inspect it with: baton work-pool inspect ${quoteArg(pool.name)}`));
    });

  cmd
    .command("ls")
    .description("List work pools")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const pools = await client.workPools.list.query();
      if (opts.json) return printJson(pools);
      if (pools.length === 0) {
        print("No work pools yet. Create one with: baton work-pool create my-pool --type node");
        return;
      }
      print(
        renderTable(
          pools,
          [
            { header: "NAME", value: (p) => p.name },
            { header: "TYPE", value: (p) => p.type, shrink: false },
            { header: "CONCURRENCY", value: (p) => p.concurrencyLimit ?? "∞", align: "right", shrink: false },
            {
              header: "STATUS",
              value: (p) => (p.paused ? "paused" : "ready"),
              paint: (p) => (p.paused ? out.yellow : out.green),
              shrink: false,
            },
            { header: "CREATED", value: (p) => relativeTime(p.createdAt), shrink: false },
            { header: "ID", value: (p) => p.id, paint: () => out.dim, shrink: false },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
    });

  cmd
    .command("inspect")
    .description("Show a work pool and its queues")
    .argument("<name>", "name or id of the pool")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const pool = await client.workPools.get.query({ workPool: name });
      const queues = await client.workQueues.list.query({ workPool: pool.id });
      if (opts.json) return printJson({ ...pool, queues });
      print(
        renderDetails([
          ["Name", out.bold(pool.name)],
          ["ID", pool.id],
          ["Type", pool.type],
          ["Status", pool.paused ? out.yellow("paused") : out.green("ready")],
          ["Concurrency limit", pool.concurrencyLimit ?? "none"],
          ["Description", pool.description],
          ["Created", `${pool.createdAt} (${relativeTime(pool.createdAt)})`],
          ["Updated", `${pool.updatedAt} (${relativeTime(pool.updatedAt)})`],
        ]),
      );
      if (Object.keys(pool.baseJobTemplate).length > 0) {
        print();
        print(out.bold("Base job template"));
        print(JSON.stringify(pool.baseJobTemplate, null, 2));
      }
      print();
      print(out.bold("Queues"));
      print(renderQueues(queues));
    });

  for (const [verb, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    cmd
      .command(verb)
      .description(paused ? "Pause a work pool: workers claim nothing from it until it is resumed" : "Resume a paused work pool")
      .argument("<name>", "name or id of the pool")
      .action(async (name: string, _opts: unknown, command: Command) => {
        const { client } = apiContext(command);
        const pool = await client.workPools.update.mutate({ workPool: name, paused });
        print(`Work pool '${pool.name}' is ${paused ? "paused" : "resumed"}.`);
      });
  }

  return cmd;
}

export interface QueueRow {
  name: string;
  priority: number;
  concurrencyLimit: number | null;
  paused: boolean;
  description?: string | null;
}

export function renderQueues(queues: readonly QueueRow[]): string {
  return renderTable(
    queues,
    [
      { header: "NAME", value: (q) => q.name },
      { header: "PRIORITY", value: (q) => q.priority, align: "right", shrink: false },
      { header: "CONCURRENCY", value: (q) => q.concurrencyLimit ?? "∞", align: "right", shrink: false },
      {
        header: "STATUS",
        value: (q) => (q.paused ? "paused" : "ready"),
        paint: (q) => (q.paused ? out.yellow : out.green),
        shrink: false,
      },
      { header: "DESCRIPTION", value: (q) => q.description ?? "", paint: () => out.dim },
    ],
    { maxWidth: terminalWidth() },
  );
}

/** A name as it would be typed in a shell. */
export function quoteArg(text: string): string {
  return /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `--job-template`: a JSON object (the server checks its keys against the pool's type). */
function parseJobTemplate(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--job-template is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CliError(`--job-template must be a JSON object, such as '{"command": ["python3", "train.py"]}'`);
  return value as Record<string, unknown>;
}
