/**
 * The run list's filter bar: a plain GET form to /runs, so it works before any JavaScript loads
 * and every filtered view is a URL. Flow, deployment and pool are selects filled from the API;
 * a value in the URL that is not among them (a flow since deleted, a hand-edited link) stays
 * selected as it was given.
 */
import Link from "next/link";
import { stateTypeLabel } from "@/app/_components/state-badge";
import type { StateType } from "@/app/_lib/trpc-types";
import { RANGES, MAX_SEARCH, parseTime, toLocalField, type RunFilters } from "./run-filters";
import "./runs-filter-bar.css";

/** The state choices: each a set of state types (the value is the set, comma-separated). */
export const STATE_CHOICES: { label: string; states: StateType[] }[] = [
  { label: "Any state", states: [] },
  { label: "Scheduled", states: ["SCHEDULED"] },
  { label: "Pending", states: ["PENDING"] },
  { label: "Running", states: ["RUNNING"] },
  { label: "Paused", states: ["PAUSED"] },
  { label: "Completed", states: ["COMPLETED"] },
  { label: "Failed", states: ["FAILED", "CRASHED"] },
  { label: "Cancelled", states: ["CANCELLING", "CANCELLED"] },
];

export interface FilterChoices {
  flows: string[];
  /** value: the id; label: flow/name. */
  deployments: { id: string; label: string }[];
  pools: string[];
}

const withCurrent = (values: string[], current: string | undefined) => (current && !values.includes(current) ? [current, ...values] : values);

/** A field value as the datetime-local input shows it (ISO in the URL becomes UTC minutes). */
const timeField = (v: string | undefined) => {
  if (!v) return "";
  const d = parseTime(v);
  return d ? toLocalField(d) : v;
};

export function RunsFilterBar({ filters, choices, filtered }: { filters: RunFilters; choices: FilterChoices; filtered: boolean }) {
  const stateValue = filters.states.join(",");
  const stateChoices = STATE_CHOICES.some((c) => c.states.join(",") === stateValue)
    ? STATE_CHOICES
    : [...STATE_CHOICES, { label: `${filters.states.map(stateTypeLabel).join(" or ")} only`, states: filters.states }];
  const deployments = choices.deployments.some((d) => d.id === filters.deployment || d.label === filters.deployment)
    ? choices.deployments
    : filters.deployment
      ? [{ id: filters.deployment, label: filters.deployment }, ...choices.deployments]
      : choices.deployments;
  const deploymentValue = deployments.find((d) => d.id === filters.deployment || d.label === filters.deployment)?.id ?? "";
  return (
    <form method="get" action="/runs" className="inline-form runs-filter-bar" role="search" aria-label="Filter runs" data-testid="runs-filter-bar">
      <label className="field">
        <span className="field-label">Name contains</span>
        <input type="search" name="q" defaultValue={filters.q ?? ""} maxLength={MAX_SEARCH} placeholder="e.g. crimson-fox" />
      </label>
      <label className="field">
        <span className="field-label">State</span>
        <select name="state" defaultValue={stateValue}>
          {stateChoices.map((c) => (
            <option key={c.label} value={c.states.join(",")}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Flow</span>
        <select name="flow" defaultValue={filters.flow ?? ""}>
          <option value="">Any flow</option>
          {withCurrent(choices.flows, filters.flow).map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Deployment</span>
        <select name="deployment" defaultValue={deploymentValue}>
          <option value="">Any deployment</option>
          {deployments.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Work pool</span>
        <select name="pool" defaultValue={filters.pool ?? ""}>
          <option value="">Any pool</option>
          {withCurrent(choices.pools, filters.pool).map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Tags</span>
        <input type="text" name="tags" defaultValue={filters.tags ?? ""} placeholder="prod, nightly" maxLength={1000} />
        <span className="field-hint">comma-separated; runs with all of them</span>
      </label>
      <label className="field">
        <span className="field-label">Created</span>
        <select name="range" defaultValue={filters.range ?? ""}>
          <option value="">Any time</option>
          {Object.entries(RANGES).map(([key, r]) => (
            <option key={key} value={key}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">From (UTC)</span>
        <input type="datetime-local" name="from" defaultValue={timeField(filters.from)} />
      </label>
      <label className="field">
        <span className="field-label">To (UTC)</span>
        <input type="datetime-local" name="to" defaultValue={timeField(filters.to)} />
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        {filtered ? (
          <Link href="/runs" data-testid="runs-clear-filters">
            Clear filters
          </Link>
        ) : null}
      </div>
    </form>
  );
}
