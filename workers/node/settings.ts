/**
 * The worker's settings: CLI flags over environment variables, parsed once with zod so a bad
 * value stops the worker at start with a line naming it. The API URL and workspace come from
 * the client's own settings (BATON_API_URL, BATON_WORKSPACE; see server/client.ts).
 */
import os from "node:os";
import { z } from "zod";
import { DEFAULT_CODE_CACHE_VERSIONS } from "./code-cache";

const schema = z.object({
  pool: z.string().trim().min(1, "must name a work pool"),
  queues: z.array(z.string().trim().min(1)).default([]),
  limit: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(1000).default(4),
  name: z.string().trim().min(1).max(200).default(`${os.hostname()}-${process.pid}`),
  /** Where `file.ts:export` entrypoints are looked up: the worker's checkout of the flow code. */
  checkout: z.string().min(1).default(process.cwd()),
  /** How long one long-poll claim waits for work. */
  claimWaitMs: z.coerce.number().int().min(0).max(60_000).default(30_000),
  /** The worker's own files: the outbox of reports not yet taken by the server. */
  dataDir: z.string().min(1).default(".baton/worker"),
  /** How long a call keeps retrying a refused connection (the server restarting) before failing. */
  retryRefusedSeconds: z.coerce.number().min(0).default(600),
  /** After SIGTERM, a process job gets this long before SIGKILL; so does a flow process told to stop. */
  killGraceSeconds: z.coerce.number().min(0).default(10),
  /**
   * Flow processes started ahead of runs (see flow-process.ts); at most the slot count, which is
   * the default. 0: none ahead (a run that finds no idle process waits ~0.5 s for a new one).
   */
  warmProcesses: z.coerce.number().int("must be a whole number").min(0, "must be at least 0").max(1000).optional(),
  /**
   * How many runs one flow process may serve, one after another, while none of the files it
   * loaded has changed on disk (a stopped run always ends its process). 1: a fresh process per run.
   */
  flowProcessRuns: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000).default(100),
  /**
   * How many versions of delivered code each cache keeps (flow bundles, unpacked directories;
   * code-cache.ts): the most recently used; a version a run uses is never removed.
   */
  codeCacheVersions: z.coerce.number().int("must be a whole number").min(1, "must be at least 1").max(1_000_000).default(DEFAULT_CODE_CACHE_VERSIONS),
  /** Extra capabilities as JSON, merged over the detected ones (e.g. '{"gpu": false}'). */
  capabilities: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return {};
      try {
        const parsed = JSON.parse(v) as unknown;
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: "custom", message: "must be a JSON object" });
      return z.NEVER;
    }),
});

export type WorkerSettings = z.output<typeof schema>;

export class WorkerSettingsError extends Error {
  override name = "WorkerSettingsError";
}

export function loadWorkerSettings(flags: Partial<Record<keyof z.input<typeof schema>, unknown>>, env: Record<string, string | undefined> = process.env): WorkerSettings {
  const input = {
    pool: flags.pool ?? env.BATON_WORKER_POOL,
    queues: flags.queues,
    limit: flags.limit ?? env.BATON_WORKER_LIMIT,
    name: flags.name ?? env.BATON_WORKER_NAME,
    checkout: flags.checkout ?? env.BATON_WORKER_CHECKOUT,
    claimWaitMs: flags.claimWaitMs ?? env.BATON_WORKER_CLAIM_WAIT_MS,
    killGraceSeconds: flags.killGraceSeconds ?? env.BATON_WORKER_KILL_GRACE_S,
    dataDir: flags.dataDir ?? env.BATON_WORKER_DATA_DIR,
    retryRefusedSeconds: flags.retryRefusedSeconds ?? env.BATON_WORKER_RETRY_REFUSED_S,
    capabilities: flags.capabilities ?? env.BATON_WORKER_CAPABILITIES,
    warmProcesses: flags.warmProcesses ?? env.BATON_WORKER_WARM_PROCESSES,
    flowProcessRuns: flags.flowProcessRuns ?? env.BATON_WORKER_FLOW_PROCESS_RUNS,
    codeCacheVersions: flags.codeCacheVersions ?? env.BATON_WORKER_CODE_CACHE_VERSIONS,
  };
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    const names: Record<string, string> = { pool: "--pool", limit: "--limit (BATON_WORKER_LIMIT)", claimWaitMs: "BATON_WORKER_CLAIM_WAIT_MS", killGraceSeconds: "BATON_WORKER_KILL_GRACE_S", retryRefusedSeconds: "BATON_WORKER_RETRY_REFUSED_S", capabilities: "BATON_WORKER_CAPABILITIES", warmProcesses: "BATON_WORKER_WARM_PROCESSES", flowProcessRuns: "BATON_WORKER_FLOW_PROCESS_RUNS", codeCacheVersions: "BATON_WORKER_CODE_CACHE_VERSIONS" };
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    throw new WorkerSettingsError(`${names[key] ?? key} ${issue.message}`);
  }
  return parsed.data;
}
