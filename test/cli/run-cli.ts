/** Runs the real `baton` command as a child process and collects what it printed. */
import { spawn } from "node:child_process";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(REPO_ROOT, "bin/baton.mjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 20_000): Promise<CliResult> {
  return startCli(args, env, timeoutMs).done;
}

export interface RunningCli {
  /** What it has printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stdout matches, or rejects (with what it printed) when it exits first or `timeoutMs` pass. */
  waitForStdout(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the CLI and lets the test act while it runs (for --follow and watch). */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 20_000): RunningCli {
  let stdout = "";
  let stderr = "";
  let exited = false;
  const listeners = new Set<() => void>();
  const done = new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      // No colour and no terminal width: plain, complete lines to assert on.
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const changed = () => listeners.forEach((listener) => listener());
    child.stdout.setEncoding("utf8").on("data", (d: string) => ((stdout += d), changed()));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      exited = true;
      changed();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitForStdout(pattern, waitMs = 10_000) {
      const matches = () => (typeof pattern === "string" ? stdout.includes(pattern) : pattern.test(stdout));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (matches()) finish();
          else if (exited) finish(new Error(`exited before printing ${String(pattern)}\n--- stdout\n${stdout}--- stderr\n${stderr}`));
        };
        const timer = setTimeout(() => finish(new Error(`no ${String(pattern)} within ${waitMs} ms\n--- stdout\n${stdout}--- stderr\n${stderr}`)), waitMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** A human-readable account of a run, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
