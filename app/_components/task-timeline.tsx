/**
 * A flow run's task runs on one time axis: each task's bar starts and ends where it did within
 * the flow run, so waits, overlaps and the slow step show at a glance. Cached and retried runs
 * are marked in words, not only by colour.
 */
import { StateBadge } from "@/app/_components/state-badge";
import { formatDuration, runDuration } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

type TaskRun = RouterOutputs["taskRuns"]["list"][number];

export function TaskTimeline({
  flowRun,
  taskRuns,
  now,
}: {
  flowRun: { startTime: string | null; endTime: string | null };
  taskRuns: TaskRun[];
  now: Date;
}) {
  const starts = taskRuns.flatMap((t) => (t.startTime ? [Date.parse(t.startTime)] : []));
  const ends = taskRuns.map((t) => (t.endTime ? Date.parse(t.endTime) : now.getTime()));
  // The flow run's own span; tasks reported before it started still fit on the axis.
  const from = Math.min(flowRun.startTime ? Date.parse(flowRun.startTime) : Infinity, ...starts);
  const to = Math.max(flowRun.endTime ? Date.parse(flowRun.endTime) : now.getTime(), ...ends);
  const span = Math.max(1, to - from);
  const byId = new Map(taskRuns.map((t) => [t.id, t]));

  return (
    <ol className="task-timeline" aria-label="Task runs" data-testid="task-timeline">
      {taskRuns.map((t) => {
        const duration = runDuration(t, now);
        const start = t.startTime ? Date.parse(t.startTime) : null;
        const end = t.endTime ? Date.parse(t.endTime) : now.getTime();
        const left = start === null || !Number.isFinite(from) ? 0 : ((start - from) / span) * 100;
        const width = start === null ? 0 : Math.max(0.6, ((end - start) / span) * 100);
        const cached = t.stateName === "Cached";
        const retries = Math.max(0, t.runCount - 1);
        const upstream = t.upstreamTaskRunIds.map((id) => byId.get(id)?.name).filter(Boolean);
        return (
          <li key={t.id} data-testid="task-run" data-task-key={t.taskKey}>
            <div className="task-name">
              <span className="cell-main">{t.name}</span>
              <span className="cell-sub">
                {t.kind ? `${t.kind} · ` : null}
                {t.taskKey}
                {upstream.length ? ` · after ${upstream.join(", ")}` : null}
              </span>
            </div>
            <div className="task-state">
              <StateBadge type={t.stateType} name={t.stateName} />
              {cached ? <span className="marker" title="Result reused from an earlier run with the same cache key">cached</span> : null}
              {retries ? (
                <span className="marker marker-warn" title={`Ran ${t.runCount} times`}>
                  retried ×{retries}
                </span>
              ) : null}
            </div>
            <div className="task-track" aria-hidden="true">
              {start !== null ? <span className={`task-bar bar-${t.stateType.toLowerCase()}`} style={{ left: `${Math.min(left, 99.4)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.4))}%` }} /> : null}
            </div>
            <div className="task-duration numeric">{duration === null ? <span className="muted">not started</span> : formatDuration(duration)}</div>
            {t.stateMessage && (t.stateType === "FAILED" || t.stateType === "CRASHED") ? (
              <div className="task-message">{t.stateMessage}</div>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
