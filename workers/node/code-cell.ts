/**
 * A notebook's code cell on a Node worker (a deployed notebook, workers/node/pipeline.ts). The
 * code is a member's, and the worker holds a key to the pool's runs, so the code runs apart from
 * it: in a child process of its own, started with
 *   - Node's permission model, reading only the runner file: no file system (the worker's key
 *     file, its outbox, /proc/<worker>/environ), no child processes, no worker threads, no
 *     native addons;
 *   - an empty environment: no BATON_API_KEY, no DATABASE_URL, nothing of the worker's;
 *   - no Baton client at all: the inputs go in on stdin and the output comes back on stdout, and
 *     the worker reports it with the run's lease, so the code's only scope is its own inputs;
 *   - a time limit (SIGKILL when it passes, or when the run is cancelled) and a heap limit.
 * Why a process and not node:vm alone: vm is not a security boundary (any object handed in leads
 * back to the host's `process`); a process with the permission model is, short of a Node bug.
 * The permission model does not yet restrict the network, so the code can reach what the
 * worker's machine can reach, without credentials: a pool opts in to code cells (its base job
 * template's codeCells, which needs the execution privilege) knowing that.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { CODE_FUNCTION, transpileCodeCell } from "../../common/code-cell";
import type { LogLevel } from "../../common/log-levels";

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), "code-cell-runner.mjs");
/** Node 20 calls it --experimental-permission; later releases --permission. */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

export interface CodeCellRun {
  source: string;
  inputs: Record<string, unknown>;
  timeoutMs: number;
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
  /** The child's heap limit. */
  maxHeapMb?: number;
}

export function runCodeCellInChild(run: CodeCellRun): Promise<unknown> {
  const code = transpileCodeCell(run.source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PERMISSION_FLAG, `--allow-fs-read=${RUNNER}`, "--no-warnings", `--max-old-space-size=${run.maxHeapMb ?? 1024}`, RUNNER], {
      env: {} as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let settled: { err: Error | null; value?: unknown } | undefined;
    let pending = "";
    let stderr = "";
    const kill = (why: string) => {
      settled ??= { err: new Error(why) };
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`the code ran past its time limit of ${Math.round(run.timeoutMs / 1000)} s and was stopped`), run.timeoutMs);
    const onAbort = () => kill("stopped: the run was cancelled or lost its lease");
    run.signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => {
      pending += data;
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let m: { type?: string; level?: LogLevel; message?: string; v8?: string };
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          continue;
        }
        if (m.type === "log") run.log(m.level ?? "info", String(m.message ?? ""));
        else if (m.type === "done") settled ??= { err: null, value: v8.deserialize(Buffer.from(m.v8 ?? "", "base64")) };
        else if (m.type === "error") settled ??= { err: new Error(String(m.message ?? "the code failed")) };
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => void (stderr = (stderr + d).slice(-4000)));
    child.on("error", (err) => kill(`the code cell's process could not start: ${err.message}`));
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      const outcome = settled ?? { err: new Error(`the code cell's process ended (${sig ?? `exit ${code}`}) without an output${stderr ? `: ${stderr.trim().split("\n").slice(-3).join(" ")}` : ""}`) };
      if (outcome.err) reject(outcome.err);
      else resolve(outcome.value);
    });
    child.stdin.on("error", () => {});
    child.stdin.end(v8.serialize({ code, functionName: CODE_FUNCTION, inputs: run.inputs }));
  });
}
