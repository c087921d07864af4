/**
 * The dashboard's one query: what the home page shows, in a single round trip (runs by state
 * over a window, late and stuck runs with their reasons, recent failures, pool health).
 */
import { z } from "zod";
import { workPoolType } from "../../../drizzle/schema";
import { DASHBOARD_WINDOWS, DEFAULT_DASHBOARD_WINDOW, dashboardSummary, type DashboardWindow } from "../../domain/dashboard";
import { STATE_TYPES } from "../../engine/state-types";
import { createTRPCRouter, viewerProcedure, zDate, zId } from "../trpc";
import { zNullableDate, zStateType } from "./inputs";

const windows = Object.keys(DASHBOARD_WINDOWS) as [DashboardWindow, ...DashboardWindow[]];
export const zDashboardWindow = z.enum(windows, { error: `must be one of ${windows.join(", ")}` });

const zCounts = z.object(Object.fromEntries(STATE_TYPES.map((t) => [t, z.number().int()])) as Record<(typeof STATE_TYPES)[number], z.ZodNumber>);

const runRef = {
  id: zId,
  name: z.string(),
  flowName: z.string(),
  deploymentId: zId.nullable(),
  deploymentName: z.string().nullable(),
  workPoolName: z.string().nullable(),
  stateType: zStateType,
  stateName: z.string(),
};

/** A count that stopped at its cap: `more` says there are others beyond it. */
const cappedList = <T extends z.ZodType>(item: T) => z.object({ count: z.number().int(), more: z.boolean(), runs: z.array(item) });

export const dashboardOutput = z.object({
  window: zDashboardWindow,
  from: zDate,
  to: zDate,
  now: zDate,
  bucketSeconds: z.number().int(),
  /** Runs created in each bucket of the window, by the state they are in now. */
  buckets: z.array(z.object({ start: zDate, counts: zCounts })),
  totals: zCounts,
  total: z.number().int(),
  hasRuns: z.boolean(),
  late: cappedList(z.object({ ...runRef, scheduledTime: zDate, lateBySeconds: z.number().int(), reason: z.string() })),
  stuck: cappedList(z.object({ ...runRef, workerName: z.string().nullable(), since: zDate, reason: z.string() })),
  failures: z.array(z.object({ ...runRef, message: z.string().nullable(), failedAt: zDate })),
  pools: z.array(
    z.object({
      id: zId,
      name: z.string(),
      type: z.enum(workPoolType.enumValues),
      paused: z.boolean(),
      concurrencyLimit: z.number().int().nullable(),
      workersOnline: z.number().int(),
      workersOffline: z.number().int(),
      lastHeartbeatAt: zNullableDate,
      activeRuns: z.number().int(),
      queuedRuns: z.number().int(),
      queuedMore: z.boolean(),
      health: z.enum(["ok", "paused", "no-workers", "full"]),
    }),
  ),
  morePools: z.boolean(),
});

export const dashboardRouter = createTRPCRouter({
  summary: viewerProcedure
    .input(z.object({ window: zDashboardWindow.default(DEFAULT_DASHBOARD_WINDOW) }).optional())
    .output(dashboardOutput)
    .query(({ ctx, input }) =>
      dashboardSummary({ db: ctx.db, workspaceId: ctx.workspaceId, window: input?.window, settings: ctx.engine.settings }),
    ),
});
