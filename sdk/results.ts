/**
 * Persisting and loading run results through the API: JSON up to the server's inline limit
 * (common/inline-result.ts; a worker passes the figure its registration gave) inline, anything
 * larger (and any bytes) in the blob store. Bytes come back as a Buffer.
 */
import { fitsInline, INLINE_RESULT_MAX_BYTES } from "../common/inline-result";
import { uploadResult, type BatonClient } from "../server/client";

/**
 * `flowRunId`: the run the result is for (a worker key scoped to pools must say); `leaseToken`:
 * the worker's lease on it, which the server checks where it stores the result.
 */
export async function persistResult(client: BatonClient, value: unknown, flowRunId?: string, leaseToken?: string, inlineMaxBytes = INLINE_RESULT_MAX_BYTES): Promise<string> {
  if (value instanceof Uint8Array) return (await uploadResult(client, value, { flowRunId, leaseToken, mediaType: "application/octet-stream" })).id;
  const json = JSON.stringify(value ?? null);
  if (fitsInline(json, inlineMaxBytes)) return (await client.results.create.mutate({ flowRunId, value: JSON.parse(json), leaseToken: flowRunId ? leaseToken : undefined })).id;
  return (await uploadResult(client, Buffer.from(json), { flowRunId, leaseToken, mediaType: "application/json" })).id;
}

/** How a run's result travels with its COMPLETED report: inline when small, else stored first. */
export type ResultRef = { result: { value: unknown } } | { resultId: string };

/**
 * Small JSON goes inline with the report that completes the run (one call); bytes and large
 * values are stored first (`persistResult`) and the report names them.
 */
export async function resultRef(client: BatonClient, value: unknown, flowRunId?: string, leaseToken?: string, inlineMaxBytes = INLINE_RESULT_MAX_BYTES): Promise<ResultRef> {
  if (!(value instanceof Uint8Array)) {
    const json = JSON.stringify(value ?? null);
    if (fitsInline(json, inlineMaxBytes)) return { result: { value: JSON.parse(json) as unknown } };
  }
  return { resultId: await persistResult(client, value, flowRunId, leaseToken, inlineMaxBytes) };
}

export async function loadResult(client: BatonClient, id: string): Promise<unknown> {
  const result = await client.results.get.query({ id, includeData: true });
  if (result.storage === "inline") return result.value;
  const bytes = Buffer.from(result.base64 ?? "", "base64");
  return result.mediaType === "application/json" ? JSON.parse(bytes.toString("utf8")) : bytes;
}

/** Parameters as stored on a task run: JSON-safe, with anything huge summarised. */
export function summariseArgs(args: unknown[]): Record<string, unknown> {
  const value: unknown = args.length === 1 && isPlainObject(args[0]) ? args[0] : { args };
  try {
    const json = JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.byteLength} bytes>` : typeof v === "bigint" ? String(v) : v));
    if (json.length <= 10_000) return JSON.parse(json) as Record<string, unknown>;
    return { summary: `${json.slice(0, 200)}… (${json.length} characters)` };
  } catch {
    return { summary: "parameters not serialisable as JSON" };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
