/**
 * How the CLI fails: one clear line on stderr and a non-zero exit code, whatever went wrong
 * (bad arguments, bad configuration, an API error, an unreachable server).
 */
import { TRPCClientError } from "@trpc/client";
import { BatonConnectionError, BatonNotAnApiError, describeClientError, redactSecrets } from "../server/client";
import { ConfigError } from "../server/config";
import { DataDirInUseError } from "../server/db/pglite-lock";
import { err as errStyle } from "./output/style";

/** A mistake the user can fix, with the message to show them. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The message for any error that reaches the top of the CLI; never shows an API key. */
export function describeCliError(error: unknown): string {
  return redactSecrets(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof CliError) return error.message;
  // Another process owns the embedded database: the message names it and says what to do.
  if (error instanceof DataDirInUseError) return error.message;
  // ConfigError lists one problem per indented line; one line reads better on a terminal.
  if (error instanceof ConfigError) return error.message.replace(/:\n\s+/, ": ").replace(/\n\s+/g, "; ");
  if (error instanceof TRPCClientError || error instanceof BatonConnectionError || error instanceof BatonNotAnApiError) {
    return describeClientError(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Unexpected error: ${message}${process.env.BATON_DEBUG ? "" : " (set BATON_DEBUG=1 for details)"}`;
}

/** Prints the error and sets the exit code; never throws. */
export function reportError(error: unknown): void {
  const message = describeCliError(error);
  process.stderr.write(`${errStyle.red("Error:")} ${message}\n`);
  if (process.env.BATON_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${errStyle.dim(redactSecrets(error.stack))}\n`);
  }
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
