/** `baton work-queue …`: lanes inside a work pool, each with a priority and a concurrency limit. */
import { Command } from "commander";
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

  return cmd;
}
