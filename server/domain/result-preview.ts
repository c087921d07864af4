/**
 * What a person sees of a run's result on its page: the JSON value itself when it is small, a
 * cut-down copy of it when it is large (the first items of each list, the start of each text),
 * and for bytes or a blob too large to read for a glance, nothing but the facts and a download.
 * The page never receives more than about PREVIEW_FULL_BYTES of JSON however large the result.
 */
import type { DbOrTx } from "../db/client";
import { getResult, readResultData, resultIdOfRun, type ResultRow } from "./results";

/** A result up to this much JSON is shown whole. */
export const PREVIEW_FULL_BYTES = 64 * 1024;
/** A JSON blob up to this size is read and cut down; a larger one is only offered as a download. */
export const PREVIEW_READ_MAX_BYTES = 16 * 1024 * 1024;
/** How a large value is cut down: items per list, keys per object, characters per text, depth. */
export const PREVIEW_LIMITS = { items: 50, keys: 100, chars: 2_000, depth: 8 } as const;

export interface ResultPreview {
  resultId: string;
  storage: ResultRow["storage"];
  mediaType: string | null;
  sizeBytes: number | null;
  /** `json`: a JSON value; `bytes`: anything else (a file, a model), offered as a download only. */
  format: "json" | "bytes";
  /** `full`: `value` is the whole result; `partial`: a cut-down copy; `none`: no value to show. */
  preview: "full" | "partial" | "none";
  value: unknown;
  /** In a partial preview, the lists and objects that were cut: their JSON pointer and how many items or keys they had. */
  cuts: { path: string; total: number }[];
}

/** A flow run's or task run's result as the page shows it, or null while it has none. */
export async function previewRunResult(opts: { db: DbOrTx; workspaceId: string; flowRunId?: string; taskRunId?: string }): Promise<ResultPreview | null> {
  const id = await resultIdOfRun(opts);
  if (!id) return null;
  const row = await getResult({ db: opts.db, workspaceId: opts.workspaceId, id });
  const base = { resultId: row.id, storage: row.storage, mediaType: row.mediaType, sizeBytes: row.sizeBytes };
  if (row.storage === "inline") return { ...base, format: "json", ...previewOf(row.value, row.sizeBytes) };
  if (row.mediaType !== "application/json") return { ...base, format: "bytes", preview: "none", value: null, cuts: [] };
  if (row.sizeBytes === null || row.sizeBytes > PREVIEW_READ_MAX_BYTES) return { ...base, format: "json", preview: "none", value: null, cuts: [] };
  const data = await readResultData(row);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data ?? new Uint8Array()).toString("utf8"));
  } catch {
    // Labelled JSON but not: it can still be downloaded.
    return { ...base, format: "bytes", preview: "none", value: null, cuts: [] };
  }
  return { ...base, format: "json", ...previewOf(value, row.sizeBytes) };
}

function previewOf(value: unknown, sizeBytes: number | null): Pick<ResultPreview, "preview" | "value" | "cuts"> {
  const size = sizeBytes ?? Buffer.byteLength(JSON.stringify(value ?? null));
  if (size <= PREVIEW_FULL_BYTES) return { preview: "full", value, cuts: [] };
  const cuts: ResultPreview["cuts"] = [];
  return { preview: "partial", value: cutDown(value, "", cuts), cuts };
}

/** The cuts a preview lists (the rest are still cut, only not named). */
const MAX_CUTS = 100;

/**
 * A copy of `value` within PREVIEW_LIMITS: longer lists, objects and texts are cut, deeper parts
 * elided; each list or object cut is recorded in `cuts` under its JSON pointer.
 */
export function cutDown(value: unknown, path: string, cuts: ResultPreview["cuts"], depth = 0): unknown {
  const { items, keys, chars, depth: maxDepth } = PREVIEW_LIMITS;
  if (typeof value === "string") return value.length > chars ? `${value.slice(0, chars)}…` : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= maxDepth) return Array.isArray(value) ? `[… ${value.length} items]` : "{…}";
  const note = (total: number, limit: number) => {
    if (total > limit && cuts.length < MAX_CUTS) cuts.push({ path, total });
  };
  const at = (key: string | number) => `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;
  if (Array.isArray(value)) {
    note(value.length, items);
    return value.slice(0, items).map((v, i) => cutDown(v, at(i), cuts, depth + 1));
  }
  const entries = Object.entries(value);
  note(entries.length, keys);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, keys)) out[k] = cutDown(v, at(k), cuts, depth + 1);
  return out;
}
