/**
 * The run list's filters as they live in the URL (`/runs?state=FAILED&flow=etl&q=fox&range=24h`):
 * read from the query string, turned into flowRuns.list's input, and written back into links, so
 * every view — each page of it too — has a URL of its own.
 */
import { STATE_TYPES, type StateType } from "@/app/_lib/trpc-types";

type SearchParams = Record<string, string | string[] | undefined>;

/** The quick time ranges: runs created in the last … */
export const RANGES = {
  "1h": { label: "Last hour", ms: 3600_000 },
  "24h": { label: "Last 24 hours", ms: 86_400_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
} as const;
export type RangeKey = keyof typeof RANGES;

/** As the API allows (flowRuns.list's search). */
export const MAX_SEARCH = 200;

export interface RunFilters {
  states: StateType[];
  flow?: string;
  deployment?: string;
  pool?: string;
  /** As typed: comma-separated. */
  tags?: string;
  /** Name contains. */
  q?: string;
  range?: RangeKey;
  /** Created at or after / before: `YYYY-MM-DDTHH:mm` (UTC, what a datetime-local field sends) or ISO-8601. */
  from?: string;
  to?: string;
}

/** What the URL asked that cannot be applied, each a sentence naming the field. */
export interface FilterProblems {
  unknownStates: string[];
  messages: string[];
}

const first = (value: string | string[] | undefined): string | undefined => {
  const v = Array.isArray(value) ? value[0] : value;
  const t = v?.trim();
  return t ? t : undefined;
};

export function parseTags(tags: string | undefined): string[] {
  return [...new Set((tags ?? "").split(",").map((t) => t.trim()).filter(Boolean))];
}

/** `2026-11-30T10:00` (a datetime-local field, read as UTC) or an ISO date-time with a zone → a Date, else undefined. */
export function parseTime(value: string): Date | undefined {
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : value;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(local)) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A Date as a datetime-local field shows it (UTC, to the minute). */
export const toLocalField = (d: Date) => d.toISOString().slice(0, 16);

export function readFilters(params: SearchParams): { filters: RunFilters; problems: FilterProblems } {
  const raw = (Array.isArray(params.state) ? params.state : params.state ? [params.state] : [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().toUpperCase())
    .filter(Boolean);
  const isState = (v: string): v is StateType => (STATE_TYPES as readonly string[]).includes(v);
  const range = first(params.range);
  const filters: RunFilters = {
    states: [...new Set(raw.filter(isState))],
    flow: first(params.flow),
    deployment: first(params.deployment),
    pool: first(params.pool),
    tags: first(params.tags),
    q: first(params.q),
    range: range && range in RANGES ? (range as RangeKey) : undefined,
    from: first(params.from),
    to: first(params.to),
  };
  const messages: string[] = [];
  if (range && !filters.range) messages.push(`Time range: "${range}" is not one of ${Object.keys(RANGES).join(", ")}; ignored.`);
  return { filters, problems: { unknownStates: raw.filter((v) => !isState(v)), messages } };
}

export const isFiltered = (f: RunFilters) =>
  f.states.length > 0 || Boolean(f.flow || f.deployment || f.pool || f.tags || f.q || f.range || f.from || f.to);

/** flowRuns.list's filter fields, or the first field that cannot be one (a sentence naming it). */
export function toListInput(f: RunFilters, now: Date) {
  const from = f.from ? parseTime(f.from) : undefined;
  const to = f.to ? parseTime(f.to) : undefined;
  const error = (field: string, message: string) => ({ error: `${field}: ${message}` }) as const;
  if (f.from && !from) return error("From", `"${f.from}" is not a date and time (e.g. 2026-11-30T10:00, UTC)`);
  if (f.to && !to) return error("To", `"${f.to}" is not a date and time (e.g. 2026-11-30T18:00, UTC)`);
  if (f.q && f.q.length > MAX_SEARCH) return error("Name", `at most ${MAX_SEARCH} characters (this is ${f.q.length})`);
  const after = from ?? (f.range ? new Date(now.getTime() - RANGES[f.range].ms) : undefined);
  if (after && to && after >= to) return error("To", "must be later than From");
  const tags = parseTags(f.tags);
  return {
    input: {
      states: f.states.length ? f.states : undefined,
      flow: f.flow,
      deployment: f.deployment,
      workPool: f.pool,
      tags: tags.length ? tags : undefined,
      search: f.q,
      createdAfter: after?.toISOString(),
      createdBefore: to?.toISOString(),
    },
  } as const;
}

/** `/runs?…` with these filters (and a cursor); `omit` drops one filter, for "remove this filter" links. */
export function runsHref(f: RunFilters, opts: { cursor?: string | null; omit?: keyof RunFilters } = {}): string {
  const q = new URLSearchParams();
  const keep = (k: keyof RunFilters) => opts.omit !== k;
  if (keep("states") && f.states.length) q.set("state", f.states.join(","));
  for (const k of ["q", "flow", "deployment", "pool", "tags", "range", "from", "to"] as const) {
    const v = f[k];
    if (keep(k) && v) q.set(k, v);
  }
  if (opts.cursor) q.set("cursor", opts.cursor);
  const s = q.toString();
  return s ? `/runs?${s}` : "/runs";
}

/** The active filters in words, each with the link that removes it. */
export function describeFilters(f: RunFilters, names: { deployment?: string }): { key: keyof RunFilters; text: string }[] {
  const out: { key: keyof RunFilters; text: string }[] = [];
  if (f.states.length) out.push({ key: "states", text: `state ${f.states.join(" or ")}` });
  if (f.q) out.push({ key: "q", text: `name contains “${f.q}”` });
  if (f.flow) out.push({ key: "flow", text: `flow ${f.flow}` });
  if (f.deployment) out.push({ key: "deployment", text: `deployment ${names.deployment ?? f.deployment}` });
  if (f.pool) out.push({ key: "pool", text: `work pool ${f.pool}` });
  if (f.tags) out.push({ key: "tags", text: `tagged ${parseTags(f.tags).join(" and ")}` });
  if (f.range && !f.from) out.push({ key: "range", text: RANGES[f.range].label.toLowerCase() });
  if (f.from) out.push({ key: "from", text: `created from ${f.from.replace("T", " ")} UTC` });
  if (f.to) out.push({ key: "to", text: `created before ${f.to.replace("T", " ")} UTC` });
  return out;
}
