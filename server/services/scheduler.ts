/**
 * The scheduler keeps each active schedule's next runs materialised as SCHEDULED flow runs:
 * at least `schedulerMinRuns` ahead, at most `schedulerMaxRuns`, within the horizon. Every run it
 * makes carries the idempotency key `scheduled:<deployment>:<time>`, unique per flow, so a
 * restart or two servers scheduling at once can never make the same run twice.
 *
 * Cron schedules are evaluated in their IANA timezone by croner, which handles daylight-saving
 * changes (a time skipped in spring runs at the next valid instant; a time repeated in autumn
 * runs once). Interval schedules count fixed seconds from their anchor.
 *
 * Runs missed while the server was down follow the schedule's `catchup` policy: `skip` them,
 * or run `once` now for all that were missed.
 */
import { Cron } from "croner";
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { deploymentSchedules, deployments, flowRuns } from "../../drizzle/schema";
import { deploymentRunPolicy } from "../domain/deployment-policy";
import { createFlowRun } from "../domain/flow-runs";
import { resolveQueue } from "../domain/work-queues";
import { getWorkPool } from "../domain/work-pools";
import type { ServiceContext } from "./context";

type Schedule = typeof deploymentSchedules.$inferSelect;
type Deployment = typeof deployments.$inferSelect;

/** The schedule's run times after `after` (exclusive), at most `limit`, none later than `until`. */
export function scheduleTimes(schedule: Pick<Schedule, "cron" | "intervalSeconds" | "anchorDate" | "timezone" | "createdAt">, after: Date, until: Date, limit: number): Date[] {
  const times: Date[] = [];
  if (schedule.cron) {
    const cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
    let cursor: Date | null = after;
    while (times.length < limit && (cursor = cron.nextRun(cursor)) && cursor <= until) times.push(cursor);
  } else if (schedule.intervalSeconds) {
    const step = schedule.intervalSeconds * 1000;
    const anchor = (schedule.anchorDate ?? schedule.createdAt).getTime();
    let k = Math.floor((after.getTime() - anchor) / step) + 1;
    for (let t = anchor + k * step; times.length < limit && t <= until.getTime(); t = anchor + ++k * step) {
      if (t > after.getTime()) times.push(new Date(t));
    }
  }
  return times;
}

export const scheduledRunKey = (deploymentId: string, time: Date) => `scheduled:${deploymentId}:${time.toISOString()}`;

export async function scheduleRuns(ctx: ServiceContext, now = new Date()): Promise<number> {
  await removeRunsOfPausedSchedules(ctx);
  const rows = await ctx.db
    .select({ schedule: deploymentSchedules, deployment: deployments })
    .from(deploymentSchedules)
    .innerJoin(deployments, eq(deployments.id, deploymentSchedules.deploymentId))
    .where(and(eq(deploymentSchedules.active, true), eq(deployments.paused, false)));
  let created = 0;
  for (const { schedule, deployment } of rows) created += await materialise(ctx, schedule, deployment, now);
  return created;
}

async function materialise(ctx: ServiceContext, schedule: Schedule, deployment: Deployment, now: Date): Promise<number> {
  const { schedulerMinRuns: minRuns, schedulerMaxRuns: maxRuns, schedulerHorizonMs } = ctx.settings;
  const ahead = await ctx.db.$count(
    flowRuns,
    and(eq(flowRuns.deploymentId, deployment.id), eq(flowRuns.autoScheduled, true), eq(flowRuns.stateType, "SCHEDULED"), gt(flowRuns.scheduledTime, now)),
  );
  const last = schedule.materialisedUntil;
  const from = last && last > now ? last : now;
  const plan: { time: Date; key: string }[] = [];

  // Missed while the server was down: everything between the last materialised run and now.
  if (schedule.catchup === "once" && last && last < now) {
    const [firstMissed] = scheduleTimes(schedule, last, now, 1);
    if (firstMissed) plan.push({ time: now, key: `${scheduledRunKey(deployment.id, firstMissed)}:catch-up` });
  }
  const room = Math.max(0, maxRuns - ahead);
  const upcoming = scheduleTimes(schedule, from, new Date(now.getTime() + schedulerHorizonMs), room);
  // Keep a few runs visible even when the next ones lie beyond the horizon (a monthly job).
  if (ahead + upcoming.length < minRuns) {
    upcoming.push(...scheduleTimes(schedule, upcoming.at(-1) ?? from, new Date(8.64e15), minRuns - ahead - upcoming.length));
  }
  for (const time of upcoming) plan.push({ time, key: scheduledRunKey(deployment.id, time) });
  if (plan.length === 0) return 0;

  // Skip what exists already; the unique key still guards against a second scheduler racing us.
  const existing = await ctx.db
    .select({ key: flowRuns.idempotencyKey })
    .from(flowRuns)
    .where(and(eq(flowRuns.flowId, deployment.flowId), inArray(flowRuns.idempotencyKey, plan.map((p) => p.key))));
  const known = new Set(existing.map((e) => e.key));
  const todo = plan.filter((p) => !known.has(p.key));

  const pool = deployment.workPoolId
    ? await getWorkPool({ db: ctx.db, workspaceId: deployment.workspaceId, ref: deployment.workPoolId }).catch(() => undefined)
    : undefined;
  const workQueueId = deployment.workQueueId ?? (pool ? (await resolveQueue({ db: ctx.db, pool })).id : null);
  for (const { time, key } of todo) {
    await createFlowRun({
      db: ctx.db,
      workspaceId: deployment.workspaceId,
      flowId: deployment.flowId,
      deploymentId: deployment.id,
      workPoolId: deployment.workPoolId,
      workQueueId,
      parameters: deployment.parameters,
      tags: [...deployment.tags, "auto-scheduled"],
      scheduledTime: time,
      idempotencyKey: key,
      autoScheduled: true,
      policy: deploymentRunPolicy(deployment.parameterSchema),
      actor: "scheduler",
    });
  }
  const newest = upcoming.at(-1);
  if (newest) {
    await ctx.db
      .update(deploymentSchedules)
      .set({ materialisedUntil: newest })
      .where(
        and(
          eq(deploymentSchedules.id, schedule.id),
          or(isNull(deploymentSchedules.materialisedUntil), lt(deploymentSchedules.materialisedUntil, newest)),
        ),
      );
  }
  return todo.length;
}

/** Pausing a deployment (or a schedule) withdraws the runs the scheduler had made for it. */
async function removeRunsOfPausedSchedules(ctx: ServiceContext): Promise<void> {
  const paused = ctx.db
    .select({ id: deployments.id })
    .from(deployments)
    .where(
      or(
        eq(deployments.paused, true),
        sql`NOT EXISTS (SELECT 1 FROM ${deploymentSchedules} s WHERE s.deployment_id = ${deployments.id} AND s.active)`,
      ),
    );
  await ctx.db
    .delete(flowRuns)
    .where(
      and(
        eq(flowRuns.autoScheduled, true),
        eq(flowRuns.stateType, "SCHEDULED"),
        inArray(flowRuns.stateName, ["Scheduled"]),
        gt(flowRuns.scheduledTime, new Date()),
        inArray(flowRuns.deploymentId, paused),
      ),
    );
}
