/**
 * Live updates as tRPC subscriptions (served as Server-Sent Events by the same endpoint; the UI
 * reads them with httpSubscriptionLink). Each is fed by the process's one change feed
 * (server/live/change-feed.ts), which LISTENs once and fetches each change once for every page.
 *
 * - `live.run({ id, afterLogId })`: a run's new state, its new log lines (each once, in storage
 *   order, starting after `afterLogId`), "its task runs changed", and "resync" after the server
 *   lost its LISTEN connection. Each event carries the newest log id handed out as its SSE id,
 *   so a reconnecting EventSource resumes where it was (Last-Event-ID) without gaps or repeats.
 * - `live.workspace()`: "runs of this workspace changed" (with their ids when few), for lists.
 */
import { tracked } from "@trpc/server";
import { z } from "zod";
import { getFlowRun } from "../../domain/flow-runs";
import type { LogRow } from "../../domain/logs";
import { AppError } from "../../errors";
import type { ChangeFeed, RunEvent, WorkspaceEvent } from "../../live/change-feed";
import { EventQueue } from "../../live/event-queue";
import { createTRPCRouter, toTrpcError, viewerProcedure, zId, type Context } from "../trpc";

function feedOf(ctx: Context): ChangeFeed {
  if (!ctx.engine.live) throw new AppError("PRECONDITION_FAILED", "live updates are not served by this process: reload the page to see changes");
  return ctx.engine.live;
}

const wireLog = (l: LogRow) => ({
  id: l.id,
  flowRunId: l.flowRunId,
  taskRunId: l.taskRunId,
  level: l.level,
  message: l.message,
  timestamp: l.timestamp.toISOString(),
  createdAt: l.createdAt.toISOString(),
});

function wireRunEvent(e: RunEvent) {
  switch (e.type) {
    case "run":
      return {
        type: "run" as const,
        run: { ...e.run, startTime: e.run.startTime?.toISOString() ?? null, endTime: e.run.endTime?.toISOString() ?? null },
      };
    case "logs":
      return { type: "logs" as const, items: e.items.map(wireLog) };
    default:
      return e;
  }
}

export type LiveRunEvent = ReturnType<typeof wireRunEvent>;

export const liveRouter = createTRPCRouter({
  run: viewerProcedure
    .input(
      z.object({
        id: zId,
        /** The newest log line the page already shows (0: none). */
        afterLogId: z.number().int().min(0).optional(),
        /** Set by a reconnecting EventSource: the id of the last event it received. */
        lastEventId: z.string().regex(/^\d{1,18}$/, "must be a log id").nullish(),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      let feed: ChangeFeed;
      try {
        feed = feedOf(ctx);
        await getFlowRun({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id });
      } catch (err) {
        throw toTrpcError(err);
      }
      let mark = input.lastEventId ? Number(input.lastEventId) : (input.afterLogId ?? 0);
      const queue = new EventQueue<RunEvent>({ type: "resync" });
      const stop = await feed.followRun(ctx.workspaceId, input.id, mark, (e) => queue.push(e));
      try {
        for await (const e of queue.drain(signal)) {
          if (e.type === "logs") mark = Math.max(mark, ...e.items.map((l) => l.id));
          yield tracked(String(mark), wireRunEvent(e));
        }
      } finally {
        stop();
      }
    }),

  workspace: viewerProcedure.subscription(async function* ({ ctx, signal }) {
    let feed: ChangeFeed;
    try {
      feed = feedOf(ctx);
    } catch (err) {
      throw toTrpcError(err);
    }
    const queue = new EventQueue<WorkspaceEvent>({ type: "resync" });
    const stop = feed.followWorkspace(ctx.workspaceId, (e) => queue.push(e));
    try {
      for await (const e of queue.drain(signal)) yield e;
    } finally {
      stop();
    }
  }),
});
