/**
 * Where a notebook's outputs live: each is a result in the blob store (a JSON blob, or the bytes
 * of an uploaded file), read back by id so a reload shows what the last run made. Uploads go
 * through /api/results/upload with the tab's session, as the tab worker's results do.
 */
import type { TRPCClient } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";

/** The same header as server/api/trpc.ts: the upload route reads the workspace from it. */
const WORKSPACE_HEADER = "x-baton-workspace";

export async function uploadResult(workspace: string, body: Blob | Uint8Array, mediaType: string): Promise<string> {
  const res = await fetch(`/api/results/upload?mediaType=${encodeURIComponent(mediaType)}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", [WORKSPACE_HEADER]: workspace },
    body: body as BodyInit,
  });
  const answer = (await res.json().catch(() => undefined)) as { result?: { data: { id: string } }; error?: { message: string } } | undefined;
  if (!res.ok || !answer?.result) throw new Error(`storing the output failed: ${answer?.error?.message ?? `HTTP ${res.status}`}`);
  return answer.result.data.id;
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** A stored result's bytes (an uploaded file). */
export async function resultBytes(api: TRPCClient<AppRouter>, id: string): Promise<Uint8Array> {
  const row = await api.results.get.query({ id, includeData: true });
  if (row.base64 === null) return new TextEncoder().encode(JSON.stringify(row.value));
  return fromBase64(row.base64);
}

/** A stored JSON result's value (inline, or a JSON blob). */
export async function resultValue(api: TRPCClient<AppRouter>, id: string): Promise<unknown> {
  const row = await api.results.get.query({ id, includeData: true });
  if (row.storage === "inline") return row.value;
  return JSON.parse(new TextDecoder().decode(fromBase64(row.base64 ?? "")));
}
