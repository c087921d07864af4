/**
 * Workers as the engine sees them: registration, heartbeats (one cheap write per worker, on its
 * own row — never on the runs table), goodbyes, and the long-polling claim.
 */
import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import { flowRuns, workers, workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";
import { claimFlowRuns, type ClaimOptions } from "./claim";
import type { RunSignals, Waiter } from "./signals";
import type { FlowRunRow } from "./states";
import { ACTIVE_STATE_TYPES } from "./state-types";
import { takeBackRun } from "./take-back";
import { setRunState } from "./transitions";

export type WorkerRow = typeof workers.$inferSelect;

export async function registerWorker(opts: {
  db: DbOrTx;
  workspaceId: string;
  workPoolId: string;
  name: string;
  capabilities: Record<string, unknown>;
}): Promise<WorkerRow> {
  // A restarted worker keeps its identity (pool + name), so its history stays together.
  const [worker] = await opts.db
    .insert(workers)
    .values({ workspaceId: opts.workspaceId, workPoolId: opts.workPoolId, name: opts.name, capabilities: opts.capabilities })
    .onConflictDoUpdate({
      target: [workers.workPoolId, workers.name],
      set: { capabilities: opts.capabilities, lastHeartbeatAt: sql`now()`, stoppedAt: null },
    })
    .returning();
  return worker!;
}

export interface HeartbeatReply {
  /** Runs the worker holds that a user asked to cancel: stop them and report CANCELLED. */
  cancel: string[];
  /** Runs the worker must stop at once: their lease is gone (reclaimed, crashed, finished elsewhere). */
  stop: string[];
}

/**
 * Records that the worker is alive and tells it what to do about the runs it holds.
 * The worker lists its runs with their lease tokens; the reply says which to cancel or drop.
 */
export async function heartbeatWorker(opts: {
  db: DbOrTx;
  workspaceId: string;
  workerId: string;
  runs: { id: string; leaseToken: string }[];
  /**
   * The server's worker timeout. When given, a heartbeat that revives a worker claims refused
   * (its previous heartbeat was older than this, or it had said goodbye) wakes the pool's
   * waiting claims at once, instead of at their next fallback poll.
   */
  workerTimeoutMs?: number;
  /**
   * Runs the server has on this worker, active, that the heartbeat does not list and that were
   * given to it (or last changed) longer ago than this, are not held by it: taken back. 0 or
   * absent: not checked.
   */
  orphanGraceMs?: number;
}): Promise<HeartbeatReply> {
  const staleBefore =
    opts.workerTimeoutMs === undefined
      ? sql<boolean>`false`
      : // A subquery in RETURNING reads the statement's snapshot: the row as it was before this update.
        sql<boolean>`(SELECT o.stopped_at IS NOT NULL OR o.last_heartbeat_at <= now() - ${Math.round(opts.workerTimeoutMs)} * interval '1 millisecond'
          FROM ${workers} o WHERE o.id = ${opts.workerId}::uuid)`;
  const [alive] = await opts.db
    .update(workers)
    .set({ lastHeartbeatAt: sql`now()`, stoppedAt: null })
    .where(and(eq(workers.id, opts.workerId), eq(workers.workspaceId, opts.workspaceId)))
    .returning({ id: workers.id, workPoolId: workers.workPoolId, revived: staleBefore });
  if (!alive) {
    throw new AppError("NOT_FOUND", `Worker ${opts.workerId} is not registered (was its pool deleted?); register again`, {
      field: "workerId",
      reason: "WORKER_UNKNOWN",
    });
  }
  // Through the database, so the server process holding this worker's long poll hears it too.
  if (alive.revived) await opts.db.execute(sql`SELECT pg_notify('baton_runs', ${alive.workPoolId}::text)`);
  if (opts.orphanGraceMs) await takeBackOrphans({ db: opts.db, workerId: opts.workerId, held: opts.runs.map((r) => r.id), graceMs: opts.orphanGraceMs });
  if (opts.runs.length === 0) return { cancel: [], stop: [] };
  const rows = await opts.db
    .select({ id: flowRuns.id, stateType: flowRuns.stateType, leaseToken: flowRuns.leaseToken })
    .from(flowRuns)
    .where(inArray(flowRuns.id, opts.runs.map((r) => r.id)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const reply: HeartbeatReply = { cancel: [], stop: [] };
  for (const held of opts.runs) {
    const run = byId.get(held.id);
    if (!run || run.leaseToken !== held.leaseToken) reply.stop.push(held.id);
    else if (run.stateType === "CANCELLING") reply.cancel.push(held.id);
  }
  return reply;
}

/**
 * A live worker heartbeats the runs it holds. One the server has on it but that it does not list
 * was lost between them: a claim committed whose answer never arrived (the server was killed
 * mid-reply), or a run of an earlier process that was SIGKILLed and restarted under the same
 * name (it takes over the worker row, and its heartbeats keep that row fresh, so the zombie
 * killer never sees the dead process's runs as silent). Found in the soak: runs RUNNING for good
 * on live workers. The grace covers a claim whose answer is still on its way.
 */
async function takeBackOrphans(opts: { db: DbOrTx; workerId: string; held: string[]; graceMs: number }): Promise<void> {
  const orphans = await opts.db
    .select({ id: flowRuns.id, workspaceId: flowRuns.workspaceId, stateType: flowRuns.stateType, stateVersion: flowRuns.stateVersion, name: flowRuns.name })
    .from(flowRuns)
    .where(
      and(
        eq(flowRuns.workerId, opts.workerId),
        inArray(flowRuns.stateType, [...ACTIVE_STATE_TYPES]),
        opts.held.length ? notInArray(flowRuns.id, opts.held) : undefined,
        sql`${flowRuns.stateTimestamp} < now() - ${Math.round(opts.graceMs)} * interval '1 millisecond'`,
      ),
    )
    .limit(100);
  for (const run of orphans) {
    try {
      await takeBackRun({ db: opts.db, run, actor: "heartbeat", why: "its worker is alive but no longer holds it (a lost claim answer, or a worker process restarted under the same name)" });
    } catch (err) {
      // A report or the zombie killer got there first: the run moved on, which is all we wanted.
      if (!(err instanceof AppError)) throw err;
    }
  }
}

/** A worker shutting down cleanly: it is no longer counted as online, and the zombie killer may act at once. */
/**
 * A worker leaving. With `holding` (the runs it still has a report for, or is running), any
 * other active run the server has it down for is one it was handed but never received — a claim
 * answered as it stopped waiting (its drain cut the long poll) — and goes straight back to the
 * queue instead of waiting for the zombie killer to crash it: its body never ran, so it is not
 * an attempt (run_count is given back). The claim share-locks the worker row
 * (./sql/claim-flow-runs.ts), so a claim in flight commits before this looks, and one after it
 * sees stopped_at. Without `holding` (an older worker) the zombie killer decides, as before.
 */
export async function workerGoodbye(opts: { db: DbOrTx; workspaceId: string; workerId: string; holding?: string[]; actor?: string }): Promise<{ returned: number }> {
  return opts.db.transaction(async (tx) => {
    const [worker] = await tx
      .update(workers)
      .set({ stoppedAt: sql`now()` })
      .where(and(eq(workers.id, opts.workerId), eq(workers.workspaceId, opts.workspaceId)))
      .returning({ name: workers.name });
    if (!worker || !opts.holding) return { returned: 0 };
    const unreceived = await tx
      .select()
      .from(flowRuns)
      .where(
        and(
          eq(flowRuns.workerId, opts.workerId),
          inArray(flowRuns.stateType, [...ACTIVE_STATE_TYPES]),
          opts.holding.length ? notInArray(flowRuns.id, opts.holding) : undefined,
        ),
      )
      .for("update");
    for (const run of unreceived) {
      const why = `worker "${worker.name}" shut down before it received the run`;
      const actor = opts.actor ?? `worker:${worker.name}`;
      if (run.stateType === "CANCELLING") {
        await takeBackRun({ db: tx, run, actor, why });
        continue;
      }
      await setRunState({
        db: tx, workspaceId: run.workspaceId, runId: run.id, kind: "flow", actor, expectedVersion: run.stateVersion,
        to: { type: "SCHEDULED", message: `back in the queue: ${why}` },
      });
      if (run.stateType === "RUNNING") {
        await tx.update(flowRuns).set({ runCount: sql`greatest(${flowRuns.runCount} - 1, 0)` }).where(eq(flowRuns.id, run.id));
      }
    }
    return { returned: unreceived.length };
  });
}

export async function resolveQueueIds(opts: {
  db: DbOrTx;
  workPoolId: string;
  names?: string[];
}): Promise<string[] | undefined> {
  if (!opts.names?.length) return undefined;
  const rows = await opts.db
    .select({ id: workQueues.id, name: workQueues.name })
    .from(workQueues)
    .where(and(eq(workQueues.workPoolId, opts.workPoolId), inArray(workQueues.name, opts.names)));
  const missing = opts.names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length) throw AppError.notFound("Work queue", `"${missing.join('", "')}"`, "workQueues");
  return rows.map((r) => r.id);
}

/**
 * When the next not-yet-due run of the pool becomes due, if any. Runs already due but not
 * claimable (a full or paused queue) are left out: a slot freeing up sends a signal instead.
 */
async function nextDueTime(db: DbOrTx, workPoolId: string): Promise<Date | undefined> {
  const [row] = await db
    .select({ next: sql<Date | string | null>`min(${flowRuns.scheduledTime})` })
    .from(flowRuns)
    .where(
      and(eq(flowRuns.workPoolId, workPoolId), eq(flowRuns.stateType, "SCHEDULED"), sql`${flowRuns.scheduledTime} > now()`),
    );
  return row?.next ? new Date(row.next) : undefined;
}

/**
 * Claims runs, waiting up to `waitMs` for some to arrive: an idle worker holds one request open
 * and is woken within milliseconds by a signal for its pool, instead of polling the database.
 * It re-checks when the next scheduled run falls due, and at least every `fallbackPollMs`.
 */
export async function claimWithWait(
  opts: ClaimOptions & { waitMs: number; signals?: RunSignals; fallbackPollMs: number; abort?: AbortSignal },
): Promise<FlowRunRow[]> {
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    // A caller that hung up (the HTTP request was aborted) must not be handed runs.
    if (opts.abort?.aborted) return [];
    const waiter = opts.signals?.prepare(opts.workPoolId);
    try {
      const runs = await claimFlowRuns(opts);
      const now = Date.now();
      if (runs.length > 0 || now >= deadline || opts.abort?.aborted) return runs;
      const due = await nextDueTime(opts.db, opts.workPoolId);
      const wakeAt = Math.min(deadline, now + opts.fallbackPollMs, due ? due.getTime() : Infinity);
      await sleepUntilWoken(waiter, wakeAt - now, opts.abort);
    } finally {
      waiter?.cancel();
    }
  }
}

/** Waits for a signal, the timeout, or the caller hanging up, whichever comes first. */
async function sleepUntilWoken(waiter: Waiter | undefined, ms: number, abort: AbortSignal | undefined): Promise<void> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    abort?.addEventListener("abort", onAbort, { once: true });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      waiter ? waiter.wait(ms) : new Promise<void>((r) => (timer = setTimeout(r, ms))),
      aborted,
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) abort?.removeEventListener("abort", onAbort);
  }
}
