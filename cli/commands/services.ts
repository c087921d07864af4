/**
 * `baton services start`: the background services alone — scheduler, late marker, zombie killer,
 * lazarus, log retention — for running them apart from the web servers. With several of these
 * (or several servers) on one Postgres, one leader runs the loops and another takes over if it dies.
 */
import { Command, Option } from "commander";
import { loadConfig } from "../../server/config";
import { print } from "../context";
import { CliError } from "../errors";
import { out } from "../output/style";
import { describeDatabase, serverAnswers } from "./db";
import { stopOnSignals } from "./server";

export function servicesCommand(): Command {
  const cmd = new Command("services").description("Run Baton's background services");
  cmd
    .command("start")
    .description("Run the scheduler, late marker, zombie killer, lazarus and log retention in this process")
    .addOption(new Option("--data-dir <dir>", "data directory of the embedded database (default ./.baton/data)").env("BATON_DATA_DIR"))
    .addOption(new Option("--database-url <url>", "a postgres:// URL; unset means the embedded PGlite database").env("DATABASE_URL"))
    .addHelpText(
      "after",
      `
The server runs these services itself (baton server start); run them apart when the web servers
should not, e.g. several stateless servers on one Postgres. Timings come from BATON_* variables:
BATON_WORKER_TIMEOUT_S, BATON_LATE_AFTER_S, BATON_PENDING_TIMEOUT_S, BATON_LAZARUS_LIMIT, …`,
    )
    .action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
      if (opts.dataDir !== undefined) process.env.BATON_DATA_DIR = opts.dataDir;
      if (opts.databaseUrl !== undefined) process.env.DATABASE_URL = opts.databaseUrl;
      const config = loadConfig();
      if (config.database.driver === "pglite" && (await serverAnswers(config))) {
        throw new CliError(
          `A Baton server answers at ${config.apiUrl} and already runs the services on the embedded database; ` +
            `only one process may open it. Use a shared Postgres (DATABASE_URL) to run services apart.`,
        );
      }
      const { loadEngineSettings } = await import("../../server/engine/settings");
      const { openDatabase } = await import("../../server/db/client");
      const { startServices } = await import("../../server/services");
      const settings = loadEngineSettings();
      const database = await openDatabase(config.database);
      await database.migrate();
      const { lineLog } = await import("../../server/services/resources");
      const services = startServices({ database, settings, log: lineLog((m) => print(`${out.dim(new Date().toISOString())} ${m}`)) });
      print(`Background services on ${describeDatabase(config)}; every ${settings.servicesIntervalMs / 1000} s.`);
      print(out.dim("  Press Ctrl+C to stop."));
      stopOnSignals(async () => {
        await services.stop();
        await database.close();
      });
    });
  return cmd;
}
