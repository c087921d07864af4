/**
 * Deployment schedules: a cron expression in an IANA timezone, or a fixed interval from an
 * anchor. Checked here before anything is written, so a bad schedule leaves nothing behind.
 */
import { cronProblem as cronRule } from "../../common/cron";
import { asc, eq, inArray } from "drizzle-orm";
import { deploymentSchedules } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { AppError } from "../errors";

export type ScheduleRow = typeof deploymentSchedules.$inferSelect;

export interface ScheduleInput {
  cron?: string | null;
  /** The cron has six fields, the first one seconds, on purpose (else six fields are refused). */
  seconds?: boolean;
  intervalSeconds?: number | null;
  anchorDate?: Date | null;
  timezone?: string | null;
  active?: boolean;
  catchup?: "skip" | "once";
}

export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown timezone "${timezone}" (use an IANA name such as UTC or Europe/Paris)`;
  }
}

export function cronProblem(expression: string, timezone: string, seconds = false): string | undefined {
  const problem = cronRule(expression, seconds, timezone);
  return problem ? `invalid cron expression "${expression}": ${problem}` : undefined;
}

/** Throws BAD_REQUEST naming the first bad field, e.g. `schedules.0.cron`. */
export function checkSchedules(schedules: ScheduleInput[]): void {
  schedules.forEach((s, i) => {
    const at = `schedules.${i}`;
    const hasCron = s.cron !== undefined && s.cron !== null;
    const hasInterval = s.intervalSeconds !== undefined && s.intervalSeconds !== null;
    if (hasCron === hasInterval) {
      throw AppError.badRequest(`${at}: give either cron or intervalSeconds, not ${hasCron ? "both" : "neither"}`, at);
    }
    const timezone = s.timezone ?? "UTC";
    const tzProblem = timezoneProblem(timezone);
    if (tzProblem) throw AppError.badRequest(`${at}.timezone: ${tzProblem}`, `${at}.timezone`);
    if (hasCron) {
      const problem = cronProblem(s.cron!, timezone, s.seconds === true);
      if (problem) throw AppError.badRequest(`${at}.cron: ${problem}`, `${at}.cron`);
      if (s.anchorDate) throw AppError.badRequest(`${at}.anchorDate: only interval schedules have an anchor`, `${at}.anchorDate`);
    } else if (!Number.isInteger(s.intervalSeconds) || s.intervalSeconds! <= 0) {
      throw AppError.badRequest(`${at}.intervalSeconds: must be a whole number of seconds above 0`, `${at}.intervalSeconds`);
    }
  });
}

/** Replaces a deployment's schedules with these (call inside the deployment's transaction). */
export async function replaceSchedules(opts: {
  db: DbOrTx;
  workspaceId: string;
  deploymentId: string;
  schedules: ScheduleInput[];
}): Promise<void> {
  await opts.db.delete(deploymentSchedules).where(eq(deploymentSchedules.deploymentId, opts.deploymentId));
  if (opts.schedules.length === 0) return;
  // One statement gives every row the same now(); a millisecond apart keeps the caller's order.
  const base = Date.now();
  await opts.db.insert(deploymentSchedules).values(
    opts.schedules.map((s, i) => ({
      workspaceId: opts.workspaceId,
      deploymentId: opts.deploymentId,
      cron: s.cron ?? null,
      intervalSeconds: s.intervalSeconds ?? null,
      // An interval with no anchor counts from when the schedule was made.
      anchorDate: s.cron ? null : (s.anchorDate ?? new Date()),
      timezone: s.timezone ?? "UTC",
      active: s.active ?? true,
      catchup: s.catchup ?? "skip",
      createdAt: new Date(base + i),
    })),
  );
}

export async function schedulesOf(opts: { db: DbOrTx; deploymentIds: string[] }): Promise<Map<string, ScheduleRow[]>> {
  const byDeployment = new Map<string, ScheduleRow[]>();
  if (opts.deploymentIds.length === 0) return byDeployment;
  const rows = await opts.db
    .select()
    .from(deploymentSchedules)
    .where(inArray(deploymentSchedules.deploymentId, opts.deploymentIds))
    .orderBy(asc(deploymentSchedules.createdAt), asc(deploymentSchedules.id));
  for (const row of rows) {
    const list = byDeployment.get(row.deploymentId) ?? [];
    list.push(row);
    byDeployment.set(row.deploymentId, list);
  }
  return byDeployment;
}
