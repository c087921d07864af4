/** `baton work-queue …`: lanes inside a work pool, each with a priority and a concurrency limit. */
import { Command, InvalidArgumentError, Option } from "commander";
import { CliError } from "../errors";
import { apiContext, print, printJson } from "../context";
import { parseInteger, parseNonNegativeInt } from "../options";
import { out } from "../output/style";
import { quoteArg, renderQueues } from "./work-pool";

export function workQueueCommand(): Command {
  const cmd = new Command("work-queue").description("Manage work queues: prioritised lanes inside a work pool");

  cmd
    .command("create")
    .description("Create a queue in a work pool")
    .argument("<name>", "name of the queue")
    .requiredOption("--pool <pool>", "the work pool (name or id)")
    .option("--priority <n>", "lower runs first (default: after the pool's other queues)", parseInteger)
    .option("--concurrency-limit <n>", "most runs from this queue at once", parseNonNegativeInt)
    .option("--description <text>", "what the queue is for")
    .option("--paused", "create it paused")
    .action(
      async (
        name: string,
        opts: { pool: string; priority?: number; concurrencyLimit?: number; description?: string; paused?: boolean },
        command: Command,
      ) => {
        const { client } = apiContext(command);
        const queue = await client.workQueues.create.mutate({
          workPool: opts.pool,
          name,
          priority: opts.priority,
          concurrencyLimit: opts.concurrencyLimit,
          description: opts.description,
          paused: opts.paused,
        });
        print(`Created work queue '${queue.name}' in pool '${opts.pool}' (priority ${queue.priority}).`);
      },
    );

  cmd
    .command("ls")
    .description("List the queues of a work pool")
    .requiredOption("--pool <pool>", "the work pool (name or id)")
    .option("--json", "print JSON")
    .action(async (opts: { pool: string; json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const queues = await client.workQueues.list.query({ workPool: opts.pool });
      if (opts.json) return printJson(queues);
      if (queues.length === 0) {
        print(`No queues in work pool '${opts.pool}'. Create one with: baton work-queue create my-queue --pool ${quoteArg(opts.pool)}`);
        return;
      }
      print(renderQueues(queues));
      print(out.dim(`Lower priority runs first.`));
    });

  cmd
    .command("update")
    .description("Change a queue's priority, concurrency limit, paused state or description")
    .argument("<pool>", "the work pool (name or id)")
    .argument("<queue>", "the queue (name or id)")
    .option("--priority <n>", "lower runs first (0 to 1000000)", parseNonNegativeInt)
    .option("--concurrency-limit <n>", 'most runs from this queue at once, or "none" for no limit', parseLimit)
    .addOption(new Option("--pause", "pause it: workers claim nothing from it until it is resumed").conflicts("resume"))
    .option("--resume", "resume it")
    .option("--description <text>", 'what the queue is for ("" clears it)')
    .option("--json", "print the queue as JSON")
    .addHelpText(
      "after",
      `
Examples:
  baton work-queue update gpu urgent --priority 0 --concurrency-limit 2
  baton work-queue update gpu batch --concurrency-limit none --resume`,
    )
    .action(
      async (
        pool: string,
        queue: string,
        opts: { priority?: number; concurrencyLimit?: number | "none"; pause?: boolean; resume?: boolean; description?: string; json?: boolean },
        command: Command,
      ) => {
        const patch = {
          priority: opts.priority,
          concurrencyLimit: opts.concurrencyLimit === "none" ? null : opts.concurrencyLimit,
          paused: opts.pause ? true : opts.resume ? false : undefined,
          description: opts.description === undefined ? undefined : opts.description.trim() || null,
        };
        if (Object.values(patch).every((v) => v === undefined)) {
          throw new CliError("Nothing to change: give --priority, --concurrency-limit, --pause, --resume or --description (see --help).");
        }
        const { client } = apiContext(command);
        const before = await client.workQueues.get.query({ workPool: pool, workQueue: queue });
        const after = await client.workQueues.update.mutate({ workPool: before.workPoolId, workQueue: before.id, ...patch });
        if (opts.json) return printJson(after);
        const changes = describeChanges(before, after);
        print(
          changes.length
            ? `Updated work queue '${after.name}' in pool '${after.workPoolName}': ${changes.join(", ")}.`
            : `Work queue '${after.name}' in pool '${after.workPoolName}' already had these settings; nothing changed.`,
        );
      },
    );

  return cmd;
}

/**
 * `--concurrency-limit 3` → 3; `none` (or `unlimited`) → "none", sent as null to lift the limit
 * (commander would turn a parser's null into "").
 */
function parseLimit(value: string): number | "none" {
  if (/^(none|unlimited)$/i.test(value.trim())) return "none";
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number, 0 or more, or "none".');
  return Number(value);
}

interface QueueSettings {
  priority: number;
  concurrencyLimit: number | null;
  paused: boolean;
  description: string | null;
}

/** "priority 5 → 0", "paused", … for what differs between the two. */
function describeChanges(before: QueueSettings, after: QueueSettings): string[] {
  const limit = (n: number | null) => (n === null ? "none" : String(n));
  const changes: string[] = [];
  if (before.priority !== after.priority) changes.push(`priority ${before.priority} → ${after.priority}`);
  if (before.concurrencyLimit !== after.concurrencyLimit) {
    changes.push(`concurrency limit ${limit(before.concurrencyLimit)} → ${limit(after.concurrencyLimit)}`);
  }
  if (before.paused !== after.paused) changes.push(after.paused ? "paused (workers claim nothing from it)" : "resumed");
  if (before.description !== after.description) changes.push(after.description ? `description "${after.description}"` : "description cleared");
  return changes;
}
