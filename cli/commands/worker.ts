/**
 * `baton worker start -p POOL`: a Node worker polling one work pool from this machine. Flow
 * entrypoints (`file.ts:export`) are loaded from the current directory (the worker's checkout of
 * the flow code, `--checkout` to change it). Ctrl-C once drains, twice forces.
 */
import { Command } from "commander";
import { loadWorkerSettings, WorkerSettingsError } from "../../workers/node/settings";
import { NodeWorker } from "../../workers/node/worker";
import type { GlobalOptions } from "../context";
import { CliError } from "../errors";
import { collect } from "../options";

interface StartOptions {
  pool: string;
  queue?: string[];
  limit?: string;
  name?: string;
  checkout?: string;
}

export function workerCommand(): Command {
  const cmd = new Command("worker").description("Run a worker that executes flow runs from a work pool");
  cmd
    .command("start")
    .description("Start a Node worker: register, claim runs, run them, report, until stopped")
    .requiredOption("-p, --pool <pool>", "the work pool to poll")
    .option("-q, --queue <queue>", "only this queue of the pool (repeatable)", collect)
    .option("--limit <n>", "how many runs at once (default 4)")
    .option("--name <name>", "the worker's name (default: host-pid)")
    .option("--checkout <dir>", "where flow entrypoints are found (default: the current directory)")
    .action(async (opts: StartOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      let settings;
      try {
        settings = loadWorkerSettings({ pool: opts.pool, queues: opts.queue, limit: opts.limit, name: opts.name, checkout: opts.checkout });
      } catch (err) {
        if (err instanceof WorkerSettingsError) throw new CliError(err.message);
        throw err;
      }
      // Flow code runs in this process and may make clients of its own (createBatonClient()
      // reads BATON_API_KEY): a key given as --api-key reaches them, and process jobs, too.
      if (globals.apiKey) process.env.BATON_API_KEY = globals.apiKey;
      const worker = new NodeWorker(settings, { apiUrl: globals.apiUrl, workspace: globals.workspace, apiKey: globals.apiKey });
      await worker.start();
      const onSignal = () => worker.shutdown();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await worker.run();
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      // Flow code may leave timers or sockets behind; the worker is done.
      process.exit(process.exitCode ?? 0);
    });
  return cmd;
}
