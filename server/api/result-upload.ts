/**
 * `POST /api/results/upload`: a blob result as a raw byte stream, for what is too big to send as
 * base64 inside a JSON body (embeddings, models, a process job's output files). The body goes
 * to the blob store as it arrives — never buffered whole — so the request-body limit of the JSON
 * API does not apply here; the result size limit (MAX_BLOB_BYTES) does, counted as bytes arrive.
 *
 * Same callers as `results.create`: a worker key (naming, with `flowRunId`, a run of its pools)
 * or an editor. The answer is tRPC's envelope, `{"result":{"data":<Result>}}` or `{"error":…}`,
 * so clients read both endpoints the same way.
 *
 * A worker names its lease on the run (`leaseToken`, as in results.create): the row is written
 * only under it, checked in the inserting statement, and refused bytes are removed again.
 *
 *   curl -X POST "$BATON_API_URL/results/upload?mediaType=application/json&flowRunId=…&leaseToken=…" \
 *        -H "authorization: Bearer $BATON_API_KEY" --data-binary @embeddings.json
 */
import { z } from "zod";
import type { Db } from "../db/client";
import { MAX_BLOB_BYTES, createStreamedResult } from "../domain/results";
import { AppError, translateDatabaseError } from "../errors";
import { resolveAccess, resolveIdentity, type AuthSettings } from "../auth/identity";
import { requireFlowRunInScope } from "../auth/scope";
import { WORKSPACE_HEADER, requireWorkerOr } from "./trpc";
import { resultLease, resultOutput, resultView } from "./routers/results";

export { RESULT_UPLOAD_PATH } from "./http-limits";

const query = z.object({
  mediaType: z
    .string()
    .trim()
    .max(200)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a media type such as application/json")
    .optional(),
  flowRunId: z.uuid({ error: "must be a UUID" }).optional(),
  leaseToken: z.uuid({ error: "must be a UUID" }).optional(),
});

const STATUS: Record<string, number> = { BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, PAYLOAD_TOO_LARGE: 413 };

function errorResponse(code: string, message: string, field?: string, reason?: string): Response {
  const httpStatus = STATUS[code] ?? 500;
  return Response.json(
    { error: { message, code: -32600, data: { code, httpStatus, path: "results.upload", field: field ?? null, reason: reason ?? null } } },
    { status: httpStatus, headers: { "x-content-type-options": "nosniff" } },
  );
}

async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value?.byteLength) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export async function handleResultUpload(req: Request, db: Db, auth: AuthSettings): Promise<Response> {
  if (req.method !== "POST") return errorResponse("BAD_REQUEST", "upload with POST and the bytes as the body");
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_BLOB_BYTES) {
    return errorResponse("PAYLOAD_TOO_LARGE", `the upload is ${declared} bytes; a result may hold at most ${MAX_BLOB_BYTES}`, "body");
  }
  const url = new URL(req.url);
  const parsed = query.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return errorResponse("BAD_REQUEST", `${issue.path.join(".")}: ${issue.message}`, issue.path.join("."));
  }
  try {
    const identity = await resolveIdentity({ db, headers: req.headers, settings: auth });
    const slug = req.headers.get(WORKSPACE_HEADER)?.trim() || undefined;
    const access = await resolveAccess({ db, identity, workspaceSlug: slug });
    // The same checks as results.create: a worker key for the run's pool, or an editor.
    requireWorkerOr(access, "editor");
    await requireFlowRunInScope({ db, access, workspaceId: access.workspaceId }, parsed.data.flowRunId);
    const lease = resultLease(parsed.data.flowRunId, parsed.data.leaseToken, access.role === "worker");
    const row = await createStreamedResult({ db, workspaceId: access.workspaceId, chunks: chunksOf(req.body), mediaType: parsed.data.mediaType, lease });
    return Response.json({ result: { data: resultOutput.parse(resultView(row)) } }, { headers: { "x-content-type-options": "nosniff" } });
  } catch (err) {
    const e = translateDatabaseError(err);
    if (e instanceof AppError) return errorResponse(e.reason === "PAYLOAD_TOO_LARGE" ? "PAYLOAD_TOO_LARGE" : e.code, e.message, e.field, e.reason);
    console.error("[baton] results upload failed:", err);
    return errorResponse("INTERNAL_SERVER_ERROR", "the upload failed on the server");
  }
}
