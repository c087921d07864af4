/**
 * `baton`: the command line, in Prefect's shape (`baton <noun> <verb>`). Each command group is
 * its own file under cli/commands; API commands talk to a running server through the typed
 * client (server/client.ts), and the server commands run it.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { apiKeyCommand, authCommand } from "./commands/auth";
import { deployCommand } from "./commands/deploy";
import { initCommand } from "./commands/init";
import { deploymentCommand } from "./commands/deployment";
import { dbCommand } from "./commands/db";
import { flowCommand } from "./commands/flow";
import { flowRunCommand } from "./commands/flow-run";
import { kindCommand } from "./commands/kind";
import { serverCommand } from "./commands/server";
import { servicesCommand } from "./commands/services";
import { workPoolCommand } from "./commands/work-pool";
import { workQueueCommand } from "./commands/work-queue";
import { workerCommand } from "./commands/worker";
import { reportError } from "./errors";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildProgram(): Command {
  const program = new Command("baton")
    .description("Baton: an orchestration server and browser workbench for data and ML work")
    .version(packageVersion(), "-V, --version")
    .addOption(
      new Option("--api-url <url>", "the Baton API to talk to (default http://127.0.0.1:4200/api)").env("BATON_API_URL"),
    )
    .addOption(new Option("--workspace <slug>", "the workspace to work in (default: default)").env("BATON_WORKSPACE"))
    .addOption(
      new Option("--api-key <key>", "the API key to send (baton_…; the variable keeps it out of shell history and ps)").env("BATON_API_KEY"),
    )
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Examples:
  baton server start                       run the server, UI and embedded database on port 4200
  baton work-pool create gpu --type node   create a work pool
  baton deployment run my-flow/nightly -p count=3 --start-in "10 minutes"
  baton flow-run ls --state failed         list failed runs

Add --json to ls and inspect commands for machine-readable output.`,
    );

  for (const command of [
    serverCommand(),
    servicesCommand(),
    dbCommand(),
    flowCommand(),
    initCommand(),
    deployCommand(),
    deploymentCommand(),
    kindCommand(),
    flowRunCommand(),
    workPoolCommand(),
    workQueueCommand(),
    workerCommand(),
    authCommand(),
    apiKeyCommand(),
  ]) {
    program.addCommand(command);
  }
  // Every subcommand reports bad arguments the same way.
  program.commands.forEach(function configure(cmd: Command) {
    cmd.showHelpAfterError("(add --help for usage)");
    cmd.commands.forEach(configure);
  });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  reportError(error);
}
