/** `baton server start`: the web UI, the API and the background services in one process. */
import { Command, Option } from "commander";
import { loadConfig } from "../../server/config";
import { print } from "../context";
import { CliError } from "../errors";
import { out } from "../output/style";

interface StartOptions {
  port?: string;
  host?: string;
  auth?: string;
  dataDir?: string;
  databaseUrl?: string;
  dev?: boolean;
  services?: boolean;
}

export function serverCommand(): Command {
  const cmd = new Command("server").description("Run the Baton server");

  cmd
    .command("start")
    .description("Start the web UI and API (and, unless DATABASE_URL is set, the embedded database)")
    .addOption(new Option("--port <port>", "port to listen on (default 4200)").env("PORT"))
    .addOption(new Option("--host <host>", "address to listen on (default 127.0.0.1; any other needs --auth on)").env("HOST"))
    .addOption(new Option("--auth <on|off>", "require sign-in or an API key for every request (default off: loopback only)").env("BATON_AUTH"))
    .addOption(new Option("--data-dir <dir>", "where the embedded database and blobs live (default ./.baton/data)").env("BATON_DATA_DIR"))
    .addOption(
      new Option("--database-url <url>", "a postgres:// URL; unset means the embedded PGlite database").env("DATABASE_URL"),
    )
    .option("--dev", "run Next.js in development mode (hot reload)")
    .option("--no-services", "do not run the background services here (run `baton services start` elsewhere)")
    .action(async (opts: StartOptions) => {
      // Flags win over the environment; loadConfig then checks everything in one place and
      // names the variable at fault.
      copyToEnv("PORT", opts.port);
      copyToEnv("HOST", opts.host);
      copyToEnv("BATON_AUTH", opts.auth);
      copyToEnv("BATON_DATA_DIR", opts.dataDir);
      copyToEnv("DATABASE_URL", opts.databaseUrl);
      const config = loadConfig();
      const { startServer } = await import("../../server/http-server");
      // startServer prints the banner (URLs, database) once it listens.
      const server = await startServer({ port: config.port, host: config.host, dev: opts.dev, services: opts.services, config }).catch(
        (error: unknown) => {
          throw new CliError(`The server did not start: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      print(out.dim("  Press Ctrl+C to stop."));
      stopOnSignals(server.close);
    });

  return cmd;
}

function copyToEnv(name: string, value: string | undefined): void {
  if (value !== undefined) process.env[name] = value;
}

/** Two-stage shutdown: the first signal closes gracefully (runs, connections, the database), a second forces. */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`${signal}: shutting down (send it again to force)…\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** A database URL fit to print: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
