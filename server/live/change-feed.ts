/**
 * Live updates, server side: one LISTEN on baton_changes per process (the trigger function is
 * server/engine/sql/notify-changes.ts) fanned out to every open page that follows a run or a
 * workspace. What changed is fetched once per run per tick for all of its followers — a hundred
 * tabs on one run cost the same queries as one — and handed to each as an event:
 *
 * - `run`: the run's new state (one SELECT of the followed runs a notice names);
 * - `logs`: the lines stored since the last ones handed out (one SELECT per run, from the run's
 *   high-water mark, so each line reaches each follower once);
 * - `tasks`: its task runs changed (no fetch: the page re-reads them itself, at most once a tick);
 * - `artifacts`: its artifacts changed (metrics among them; no fetch either);
 * - `runs` (workspace followers): some runs of the workspace changed, with their ids when few.
 *
 * NOTIFY is delivered at commit, so a fetch always finds what the notice announced. When the
 * LISTEN connection is lost and comes back (a database restart), every follower is sent a
 * `resync`: notices sent meanwhile are gone, so the page reads everything again.
 */
import { and, asc, eq, gt, inArray, lte, max } from "drizzle-orm";
import { flowRuns, logs } from "../../drizzle/schema";
import type { Database, Db } from "../db/client";
import { LIVE_CHANNEL } from "../engine/sql/notify-changes";
import type { LogRow } from "../domain/logs";

export type RunState = Pick<typeof flowRuns.$inferSelect, "id" | "stateType" | "stateName" | "stateMessage" | "stateVersion" | "runCount"> & {
  startTime: Date | null;
  endTime: Date | null;
};

export type RunEvent =
  | { type: "run"; run: RunState }
  | { type: "logs"; items: LogRow[] }
  | { type: "tasks" }
  | { type: "artifacts" }
  | { type: "resync" };

export type WorkspaceEvent = { type: "runs"; ids: string[] | null } | { type: "resync" };

interface Notice {
  k: "run" | "task" | "log" | "artifact";
  w: string;
  r: string[] | null;
}

/** Lines fetched per run per tick; a burst larger than this is read in several rounds. */
const LOG_BATCH = 500;

interface FollowedRun {
  workspaceId: string;
  followers: Set<(e: RunEvent) => void>;
  /** The newest log id handed out (set once `ready` resolves). */
  logMark: number;
  ready: Promise<void>;
}

export class ChangeFeed {
  private readonly runs = new Map<string, FollowedRun>();
  private readonly workspaces = new Map<string, Set<(e: WorkspaceEvent) => void>>();
  private queued: Notice[] = [];
  private flushing: Promise<void> | undefined;
  private unlisten?: () => Promise<void>;
  /** For tests and metrics: notices heard, and queries made to serve them. */
  readonly stats = { notices: 0, queries: 0 };

  constructor(private readonly db: () => Db) {}

  async start(database: Pick<Database, "listen">): Promise<void> {
    this.unlisten = await database.listen(LIVE_CHANNEL, (payload) => this.hear(payload), { onReconnect: () => this.resyncAll() });
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
  }

  /** How many followers are attached (for tests and metrics). */
  get followers(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.followers.size;
    for (const s of this.workspaces.values()) n += s.size;
    return n;
  }

  /**
   * Follows one run: `onEvent` gets its changes until the returned function is called. The lines
   * stored after `afterLogId` up to now arrive first (`catchUp`), then the run's current state,
   * then each new change once.
   */
  async followRun(workspaceId: string, runId: string, afterLogId: number, onEvent: (e: RunEvent) => void): Promise<() => void> {
    let followed = this.runs.get(runId);
    if (!followed) {
      const entry: FollowedRun = { workspaceId, followers: new Set(), logMark: 0, ready: Promise.resolve() };
      entry.ready = this.newestLogId(runId).then((id) => void (entry.logMark = id));
      this.runs.set(runId, entry);
      followed = entry;
    }
    const run = followed;
    await run.ready;
    // This follower's own catch-up, from where its page stands to the shared mark.
    for (let after = afterLogId; after < run.logMark; ) {
      const items = await this.logsAfter(runId, after, run.logMark);
      if (!items.length) break;
      onEvent({ type: "logs", items });
      after = items[items.length - 1]!.id;
    }
    run.followers.add(onEvent);
    // (Its last other follower may have left while this one caught up.)
    if (!this.runs.has(runId)) this.runs.set(runId, run);
    // The run's state now, once: a change made between the page's render and this moment sent
    // its notice to nobody (the page compares versions and ignores one it already shows).
    for (const state of await this.runStates([runId])) onEvent({ type: "run", run: state });
    return () => {
      run.followers.delete(onEvent);
      if (run.followers.size === 0 && this.runs.get(runId) === run) this.runs.delete(runId);
    };
  }

  followWorkspace(workspaceId: string, onEvent: (e: WorkspaceEvent) => void): () => void {
    let set = this.workspaces.get(workspaceId);
    if (!set) this.workspaces.set(workspaceId, (set = new Set()));
    set.add(onEvent);
    return () => {
      set.delete(onEvent);
      if (set.size === 0) this.workspaces.delete(workspaceId);
    };
  }

  private hear(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return;
    }
    this.stats.notices++;
    this.queued.push(notice);
    // Notices of one tick are served together: one fetch per run however many arrived.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.queued.length) {
        const notices = this.queued;
        this.queued = [];
        await this.serve(notices).catch((err: unknown) => {
          console.error("[baton] live updates: serving a change failed:", err);
        });
      }
    } finally {
      this.flushing = undefined;
      // A notice that arrived as the last round ended starts the next one.
      if (this.queued.length) this.flushing = Promise.resolve().then(() => this.flush());
    }
  }

  private async serve(notices: Notice[]): Promise<void> {
    const changed = { run: new Set<string>(), task: new Set<string>(), log: new Set<string>(), artifact: new Set<string>() };
    for (const n of notices) {
      const set = this.workspaces.get(n.w);
      if (n.k === "run" && set) for (const follow of set) follow({ type: "runs", ids: n.r });
      // "Many changed" names no ids: every followed run of that workspace looks again.
      const ids = n.r ?? [...this.runs].filter(([, r]) => r.workspaceId === n.w).map(([id]) => id);
      for (const id of ids) if (this.runs.has(id)) changed[n.k]?.add(id);
    }
    for (const id of changed.task) for (const follow of this.runs.get(id)?.followers ?? []) follow({ type: "tasks" });
    for (const id of changed.artifact) for (const follow of this.runs.get(id)?.followers ?? []) follow({ type: "artifacts" });
    if (changed.run.size) {
      const rows = await this.runStates([...changed.run]);
      for (const run of rows) for (const follow of this.runs.get(run.id)?.followers ?? []) follow({ type: "run", run });
    }
    for (const id of changed.log) {
      const run = this.runs.get(id);
      if (!run) continue;
      await run.ready;
      for (;;) {
        const items = await this.logsAfter(id, run.logMark);
        if (!items.length) break;
        run.logMark = items[items.length - 1]!.id;
        for (const follow of run.followers) follow({ type: "logs", items });
        if (items.length < LOG_BATCH) break;
      }
    }
  }

  private resyncAll(): void {
    for (const run of this.runs.values()) for (const follow of run.followers) follow({ type: "resync" });
    for (const set of this.workspaces.values()) for (const follow of set) follow({ type: "resync" });
  }

  private async runStates(ids: string[]): Promise<RunState[]> {
    this.stats.queries++;
    return this.db()
      .select({
        id: flowRuns.id,
        stateType: flowRuns.stateType,
        stateName: flowRuns.stateName,
        stateMessage: flowRuns.stateMessage,
        stateVersion: flowRuns.stateVersion,
        runCount: flowRuns.runCount,
        startTime: flowRuns.startTime,
        endTime: flowRuns.endTime,
      })
      .from(flowRuns)
      .where(inArray(flowRuns.id, ids));
  }

  private async newestLogId(runId: string): Promise<number> {
    this.stats.queries++;
    const [row] = await this.db().select({ id: max(logs.id) }).from(logs).where(eq(logs.flowRunId, runId));
    return row?.id ?? 0;
  }

  private async logsAfter(runId: string, afterId: number, upTo?: number): Promise<LogRow[]> {
    this.stats.queries++;
    return this.db()
      .select()
      .from(logs)
      .where(and(eq(logs.flowRunId, runId), gt(logs.id, afterId), upTo !== undefined ? lte(logs.id, upTo) : undefined))
      .orderBy(asc(logs.id))
      .limit(LOG_BATCH);
  }
}
