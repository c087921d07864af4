"use client";
/**
 * The schedule builder: a deployment's schedules, each a cron expression in a timezone or an
 * interval, with what it means in plain words and the next five times it fires (in the chosen
 * timezone; an interval's in the reader's own). A six-field cron is refused unless "with
 * seconds" is ticked (app/_lib/schedule-draft.ts says why).
 */
import { useEffect, useId, useMemo, useState } from "react";
import {
  INTERVAL_UNITS,
  describeDraft,
  formatInZone,
  newScheduleDraft,
  nextRunTimes,
  scheduleProblem,
  type IntervalUnit,
  type ScheduleDraft,
} from "@/app/_lib/schedule-draft";
import "@/app/_components/management.css";

const COMMON_ZONES = ["UTC", "Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];

function useTimezones(): string[] {
  const [zones, setZones] = useState<string[]>(COMMON_ZONES);
  useEffect(() => {
    // The full list only in the browser (the server's Intl may have another), after hydration.
    const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    setZones(all.includes("UTC") ? all : ["UTC", ...all]);
  }, []);
  return zones;
}

/** The clock, read after hydration only: the server's "now" would differ from the browser's. */
function useNow(): Date | null {
  const [now, setNow] = useState<Date | null>(null);
  useEffect(() => {
    setNow(new Date());
    const timer = setInterval(() => setNow(new Date()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function ScheduleBuilder({
  schedules,
  onChange,
  defaultTimezone,
}: {
  schedules: ScheduleDraft[];
  onChange: (next: ScheduleDraft[]) => void;
  defaultTimezone: string;
}) {
  const zones = useTimezones();
  const zoneListId = useId();
  const now = useNow();
  return (
    <fieldset className="schedule-builder" data-testid="schedule-builder">
      <legend className="field-label">Schedules</legend>
      <datalist id={zoneListId}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      {schedules.length === 0 ? (
        <p className="field-hint">No schedules: the deployment runs only when someone runs it. Add one to run it on a timetable.</p>
      ) : null}
      {schedules.map((draft, i) => (
        <ScheduleEditor
          key={i}
          index={i}
          draft={draft}
          zoneListId={zoneListId}
          now={now}
          onChange={(next) => onChange(schedules.map((s, j) => (j === i ? next : s)))}
          onRemove={() => onChange(schedules.filter((_, j) => j !== i))}
        />
      ))}
      <div className="form-actions">
        <button type="button" className="button button-small" onClick={() => onChange([...schedules, newScheduleDraft(defaultTimezone)])}>
          Add schedule
        </button>
      </div>
    </fieldset>
  );
}

function ScheduleEditor({
  index,
  draft,
  zoneListId,
  now,
  onChange,
  onRemove,
}: {
  index: number;
  draft: ScheduleDraft;
  zoneListId: string;
  now: Date | null;
  onChange: (next: ScheduleDraft) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const label = `Schedule ${index + 1}`;
  const problem = scheduleProblem(draft);
  const words = describeDraft(draft);
  const times = useMemo(() => (now ? nextRunTimes(draft, 5, now) : []), [draft, now]);
  const set = (patch: Partial<ScheduleDraft>) => onChange({ ...draft, ...patch });

  return (
    <div className="schedule-editor" role="group" aria-label={label} data-testid="schedule-editor">
      <div className="inline-form">
        <label className="field">
          <span className="field-label">Type</span>
          <select value={draft.kind} onChange={(e) => set({ kind: e.target.value as ScheduleDraft["kind"] })}>
            <option value="cron">Cron (at set times)</option>
            <option value="interval">Interval (every so often)</option>
          </select>
        </label>
        {draft.kind === "cron" ? (
          <>
            <label className="field field-wide">
              <span className="field-label">Cron expression</span>
              <input
                type="text"
                value={draft.cron}
                spellCheck={false}
                aria-invalid={problem !== null}
                aria-describedby={`${id}-words`}
                placeholder="0 8 * * 1-5"
                onChange={(e) => set({ cron: e.target.value })}
              />
            </label>
            <label className="toggle">
              <input type="checkbox" checked={draft.withSeconds} onChange={(e) => set({ withSeconds: e.target.checked })} /> With
              seconds (six fields, seconds first)
            </label>
            <label className="field">
              <span className="field-label">Timezone</span>
              <input type="text" list={zoneListId} value={draft.timezone} spellCheck={false} onChange={(e) => set({ timezone: e.target.value })} />
            </label>
          </>
        ) : (
          <>
            <label className="field">
              <span className="field-label">Every</span>
              <input type="number" min={1} step="any" value={draft.every} onChange={(e) => set({ every: e.target.value })} />
            </label>
            <label className="field">
              <span className="field-label">Unit</span>
              <select value={draft.unit} onChange={(e) => set({ unit: e.target.value as IntervalUnit })}>
                {INTERVAL_UNITS.map((u) => (
                  <option key={u.unit} value={u.unit}>
                    {u.unit}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <label className="toggle">
          <input type="checkbox" checked={draft.active} onChange={(e) => set({ active: e.target.checked })} /> Active
        </label>
        <label className="field">
          <span className="field-label">After downtime</span>
          <select value={draft.catchup} onChange={(e) => set({ catchup: e.target.value as ScheduleDraft["catchup"] })}>
            <option value="skip">skip missed runs</option>
            <option value="once">run once for the missed ones</option>
          </select>
        </label>
        <button type="button" className="button button-small" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>
          Remove
        </button>
      </div>
      <div id={`${id}-words`} aria-live="polite">
        {problem ? (
          <p className="feedback-error" data-testid="schedule-problem">
            {problem}
          </p>
        ) : (
          <>
            <p className="schedule-words" data-testid="schedule-description">
              {words}
            </p>
            {times.length ? (
              <div>
                <span className="field-hint">
                  Next five runs{draft.kind === "cron" ? ` (${draft.timezone.trim()})` : " (your timezone)"}
                  {draft.active ? "" : ", once it is active"}:
                </span>
                <ol className="next-runs" data-testid="next-runs">
                  {times.map((t) => (
                    <li key={t.getTime()}>
                      <time dateTime={t.toISOString()}>{formatInZone(t, draft.kind === "cron" ? draft.timezone.trim() : undefined)}</time>
                    </li>
                  ))}
                </ol>
              </div>
            ) : null}
          </>
        )}
      </div>
    </div>
  );
}
