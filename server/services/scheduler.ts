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
 *
 * Each run is made by `createDeploymentRun`, as `deployments.run` makes one: the same defaults,
 * parameter check and policy. When it refuses (default parameters the schema rejects, no work
 * pool), the scheduler makes none of that deployment's runs, stores the reason on the deployment
 * (`scheduleError`, shown wherever the deployment is) and logs it once; the next run it makes
 * clears it.
 */
import { Cron } from "croner";
import { and, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { deploymentSchedules, deployments, flowRuns } from "../../drizzle/schema";
import { createDeploymentRun } from "../domain/deployment-runs";
import { AppError } from "../errors";
import type { ServiceResources } from "./resources";

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

/** One pass over every active schedule, as of res.clock's now. */
export async function scheduleRuns(res: ServiceResources): Promise<number> {
  const now = res.clock.now();
  await removeRunsOfPausedSchedules(res, now);
  const rows = await res.db
    .select({ schedule: deploymentSchedules, deployment: deployments })
    .from(deploymentSchedules)
    .innerJoin(deployments, eq(deployments.id, deploymentSchedules.deploymentId))
    .where(and(eq(deploymentSchedules.active, true), eq(deployments.paused, false)));
  let created = 0;
  for (const { schedule, deployment } of rows) created += await materialise(res, schedule, deployment, now);
  return created;
}

async function materialise(res: ServiceResources, schedule: Schedule, deployment: Deployment, now: Date): Promise<number> {
  const { schedulerMinRuns: minRuns, schedulerMaxRuns: maxRuns, schedulerHorizonMs } = res.settings;
  const ahead = await res.db.$count(
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
  const existing = await res.db
    .select({ key: flowRuns.idempotencyKey })
    .from(flowRuns)
    .where(and(eq(flowRuns.flowId, deployment.flowId), inArray(flowRuns.idempotencyKey, plan.map((p) => p.key))));
  const known = new Set(existing.map((e) => e.key));
  const todo = plan.filter((p) => !known.has(p.key));

  let made = 0;
  try {
    for (const { time, key } of todo) {
      await createDeploymentRun({
        db: res.db,
        deployment,
        tags: ["auto-scheduled"],
        scheduledTime: time,
        idempotencyKey: key,
        autoScheduled: true,
        requireWorkPool: true,
        actor: "scheduler",
      });
      made++;
    }
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await recordScheduleError(res, deployment, err.message, now);
    return made;
  }
  if (todo.length > 0 && deployment.scheduleError !== null) await clearScheduleError(res, deployment);
  const newest = upcoming.at(-1);
  if (newest) {
    await res.db
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

/** Stores why no run could be made; written (and logged) only when the reason changes, not every tick. */
async function recordScheduleError(res: ServiceResources, deployment: Deployment, reason: string, now: Date): Promise<void> {
  const changed = await res.db
    .update(deployments)
    .set({ scheduleError: reason, scheduleErrorAt: now })
    .where(and(eq(deployments.id, deployment.id), sql`${deployments.scheduleError} IS DISTINCT FROM ${reason}`))
    .returning({ id: deployments.id });
  if (changed.length > 0) res.log.info(`scheduler: made no run of deployment ${deployment.name} (${deployment.id}): ${reason}`);
}

async function clearScheduleError(res: ServiceResources, deployment: Deployment): Promise<void> {
  await res.db
    .update(deployments)
    .set({ scheduleError: null, scheduleErrorAt: null })
    .where(and(eq(deployments.id, deployment.id), isNotNull(deployments.scheduleError)));
  res.log.info(`scheduler: deployment ${deployment.name} (${deployment.id}) is scheduled again`);
}

/**
 * Pausing a deployment (or a schedule) withdraws the runs the scheduler had made for it, and
 * forgets how far it had scheduled: resumed, it schedules from that moment on, as a new schedule
 * would (the withdrawn runs come back; the paused time is not caught up — catch-up is for a
 * server that was down, not for a pause someone chose).
 */
async function removeRunsOfPausedSchedules(res: ServiceResources, now: Date): Promise<void> {
  const paused = res.db
    .select({ id: deployments.id })
    .from(deployments)
    .where(
      or(
        eq(deployments.paused, true),
        sql`NOT EXISTS (SELECT 1 FROM ${deploymentSchedules} s WHERE s.deployment_id = ${deployments.id} AND s.active)`,
      ),
    );
  await res.db
    .delete(flowRuns)
    .where(
      and(
        eq(flowRuns.autoScheduled, true),
        eq(flowRuns.stateType, "SCHEDULED"),
        inArray(flowRuns.stateName, ["Scheduled"]),
        gt(flowRuns.scheduledTime, now),
        inArray(flowRuns.deploymentId, paused),
      ),
    );
  await res.db
    .update(deploymentSchedules)
    .set({ materialisedUntil: null })
    .where(
      and(
        isNotNull(deploymentSchedules.materialisedUntil),
        or(eq(deploymentSchedules.active, false), inArray(deploymentSchedules.deploymentId, res.db.select({ id: deployments.id }).from(deployments).where(eq(deployments.paused, true)))),
      ),
    );
}
