"use client";
/**
 * A flow run's task runs on one time axis: each task's bar starts and ends where it did within
 * the flow run, so waits, overlaps and the slow step show at a glance. Cached and retried runs
 * are marked in words, not only by colour; each name opens its task-run page. Long runs are
 * windowed (use-windowed-rows): ten thousand task runs put a screenful of rows in the DOM.
 */
import Link from "next/link";
import { memo, useMemo } from "react";
import { StateBadge } from "@/app/_components/state-badge";
import { formatDuration, runDuration } from "@/app/_lib/format";
import { taskRunHref, type TaskSummary } from "@/app/_lib/task-summary";
import { useTaskIndex } from "./task-index";
import { useWindowedRows } from "./use-windowed-rows";

/** A row's height when windowed (fixed, so a row's place follows from its index: run-page.css). */
const ROW_HEIGHT = 72;

export function TaskTimeline({ flowRun, now }: { flowRun: { startTime: string | null; endTime: string | null }; now: string }) {
  const { runId, tasks, byId } = useTaskIndex();
  const nowMs = Date.parse(now);
  const axis = useMemo(() => {
    let from = flowRun.startTime ? Date.parse(flowRun.startTime) : Infinity;
    let to = flowRun.endTime ? Date.parse(flowRun.endTime) : nowMs;
    // The flow run's own span; tasks reported before it started still fit on the axis.
    for (const t of tasks) {
      if (t.startTime) from = Math.min(from, Date.parse(t.startTime));
      to = Math.max(to, t.endTime ? Date.parse(t.endTime) : nowMs);
    }
    return { from, span: Math.max(1, to - from) };
  }, [tasks, flowRun.startTime, flowRun.endTime, nowMs]);
  const rows = useWindowedRows({ count: tasks.length, rowHeight: ROW_HEIGHT, threshold: 150 });

  const visible = tasks.slice(rows.start, rows.end);
  return (
    <div ref={rows.ref} className={rows.windowed ? "task-timeline-scroll" : undefined} data-testid="task-timeline-scroll">
      <ol
        className={`task-timeline${rows.windowed ? " task-timeline-windowed" : ""}`}
        aria-label="Task runs"
        data-testid="task-timeline"
        data-count={tasks.length}
        style={rows.windowed ? { paddingTop: rows.padTop, paddingBottom: rows.padBottom } : undefined}
      >
        {visible.map((t) => (
          <TimelineRow key={t.id} task={t} runId={runId} axis={axis} now={nowMs} byId={byId} />
        ))}
      </ol>
    </div>
  );
}

const TimelineRow = memo(function TimelineRow({
  task: t,
  runId,
  axis,
  now,
  byId,
}: {
  task: TaskSummary;
  runId: string;
  axis: { from: number; span: number };
  now: number;
  byId: Map<string, TaskSummary>;
}) {
  const upstreamNames = t.upstream.flatMap((id) => byId.get(id)?.name ?? []);
  const duration = runDuration(t, new Date(now));
  const start = t.startTime ? Date.parse(t.startTime) : null;
  const end = t.endTime ? Date.parse(t.endTime) : now;
  const left = start === null || !Number.isFinite(axis.from) ? 0 : ((start - axis.from) / axis.span) * 100;
  const width = start === null ? 0 : Math.max(0.6, ((end - start) / axis.span) * 100);
  const cached = t.stateName === "Cached";
  const retries = Math.max(0, t.runCount - 1);
  const shownUpstream = upstreamNames.length > 3 ? `${upstreamNames.slice(0, 3).join(", ")} and ${upstreamNames.length - 3} more` : upstreamNames.join(", ");
  return (
    <li data-testid="task-run" data-task-key={t.taskKey}>
      <div className="task-name">
        <Link href={taskRunHref(runId, t.id)} prefetch={false} className="cell-main">
          {t.name}
        </Link>
        <span className="cell-sub">
          {t.kind ? `${t.kind} · ` : null}
          {t.taskKey}
          {shownUpstream ? ` · after ${shownUpstream}` : null}
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
      {t.failure ? (
        <div className="task-message" title={t.failure}>
          {t.failure}
        </div>
      ) : null}
    </li>
  );
});
