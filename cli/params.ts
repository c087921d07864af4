/**
 * Parsing of run options: `--param key=value` (the value is JSON when it parses as JSON, else a
 * string, as in Prefect), `--params '{"json": "object"}'`, and `--start-in "10 minutes"`.
 */
import { CliError } from "./errors";

/** One `--param key=value`: `n=3` → 3, `flag=true` → true, `tags=["a"]` → ["a"], `name=Ada` → "Ada". */
export function parseParam(text: string): [key: string, value: unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new CliError(`--param must be KEY=VALUE (got "${text}")`);
  const key = text.slice(0, eq).trim();
  if (!key) throw new CliError(`--param must be KEY=VALUE (got "${text}")`);
  return [key, parseParamValue(text.slice(eq + 1))];
}

export function parseParamValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `--params` must be a JSON object. */
export function parseParamsJson(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--params is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(`--params must be a JSON object, such as '{"count": 3}'`);
  }
  return value as Record<string, unknown>;
}

/** `--params` first, then each `--param` over it (later ones win). */
export function collectParameters(opts: { params?: string; param?: string[] }): Record<string, unknown> | undefined {
  if (!opts.params && !opts.param?.length) return undefined;
  const result: Record<string, unknown> = opts.params ? parseParamsJson(opts.params) : {};
  for (const text of opts.param ?? []) {
    const [key, value] = parseParam(text);
    result[key] = value;
  }
  return result;
}

const DURATION_UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** "10 minutes", "in 2 hours", "1h30m", "90s", "1.5 days" → milliseconds. */
export function parseDuration(text: string): number {
  const cleaned = text.trim().toLowerCase().replace(/^in\s+/, "").replace(/\s+and\s+/g, " ").replace(/,/g, " ");
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/y;
  let total = 0;
  let index = 0;
  let parts = 0;
  while (index < cleaned.length) {
    part.lastIndex = index;
    const m = part.exec(cleaned);
    const unit = m ? DURATION_UNITS[m[2]!] : undefined;
    if (!m || unit === undefined) {
      throw new CliError(`--start-in must be a duration such as "10 minutes", "2h" or "1 day" (got "${text}")`);
    }
    total += Number(m[1]) * unit;
    index = part.lastIndex;
    parts++;
  }
  if (parts === 0) throw new CliError(`--start-in must be a duration such as "10 minutes", "2h" or "1 day" (got "${text}")`);
  return Math.round(total);
}

/** The scheduled time from `--start-in` or `--start-at`, as an ISO string; undefined for "now". */
export function scheduledTimeFrom(
  opts: { startIn?: string; startAt?: string },
  now: Date = new Date(),
): string | undefined {
  if (opts.startIn && opts.startAt) throw new CliError("Give --start-in or --start-at, not both");
  if (opts.startIn) return new Date(now.getTime() + parseDuration(opts.startIn)).toISOString();
  if (opts.startAt) {
    // ISO 8601: a date, optionally a time, optionally an offset (no offset: local time).
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(opts.startAt.trim())) {
      throw new CliError(`--start-at must be an ISO 8601 time such as 2026-11-03T14:00:00Z (got "${opts.startAt}")`);
    }
    const date = new Date(opts.startAt.trim().replace(" ", "T"));
    if (Number.isNaN(date.getTime())) {
      throw new CliError(`--start-at is not a valid time (got "${opts.startAt}")`);
    }
    return date.toISOString();
  }
  return undefined;
}
