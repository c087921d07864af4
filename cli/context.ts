/**
 * What every API command needs: a typed client built from the global options (`--api-url`,
 * `--workspace`, `--api-key`, falling back to BATON_API_URL, BATON_WORKSPACE and BATON_API_KEY),
 * and a few output helpers. The key goes into the client only: it is never part of the context
 * commands print from.
 */
import type { Command } from "commander";
import { createBatonClient, resolveClientSettings, type BatonClient, type BatonClientOptions } from "../server/client";

export interface GlobalOptions {
  apiUrl?: string;
  workspace?: string;
  /** From `--api-key` or BATON_API_KEY (commander reads the variable). */
  apiKey?: string;
}

export interface ApiContext {
  client: BatonClient;
  apiUrl: string;
  workspace: string;
  /** The web UI's address: the API URL without its trailing `/api`. */
  uiUrl: string;
}

/**
 * `retry` is for commands that follow a run for minutes (`--follow`, `watch`): they ride out a
 * server restart instead of failing at the first refused connection.
 */
export function apiContext(command: Command, retry: Pick<BatonClientOptions, "retryRefusedMs"> = {}): ApiContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const { apiUrl, workspace } = resolveClientSettings({ apiUrl: globals.apiUrl, workspace: globals.workspace });
  // The CLI makes one call at a time; plain requests keep the URLs in server logs readable.
  const client = createBatonClient({ apiUrl, workspace, apiKey: globals.apiKey, batch: false, ...retry });
  return { client, apiUrl, workspace, uiUrl: apiUrl.replace(/\/api$/, "") };
}

/** Writes a line to stdout. */
export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** Machine-readable output for `--json`: pretty, stable, nothing else on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
