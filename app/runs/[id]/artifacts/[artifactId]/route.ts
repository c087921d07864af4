/**
 * Downloads a file artifact of a run: the bytes of the result it points at (blob or inline
 * JSON), named after the file. Same API calls as the UI makes, so workspace scoping and "not
 * found" behave the same; an artifact of another run is not found here.
 */
import { TRPCError } from "@trpc/server";
import { serverCaller } from "@/server/api/server-caller";
import { attachmentDisposition, safeMediaType, USER_CONTENT_HEADERS } from "@/server/user-content";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string; artifactId: string }>;

function notFound(what: string): Response {
  return new Response(`${what} was not found\n`, { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}

export async function GET(_request: Request, { params }: { params: Params }): Promise<Response> {
  const { id, artifactId } = await params;
  const api = await serverCaller();
  try {
    const artifact = await api.artifacts.get({ id: artifactId });
    const data = artifact.data as { path?: unknown; resultId?: unknown } | null;
    if (artifact.flowRunId !== id || typeof data?.resultId !== "string") return notFound("A file artifact with this id");
    const result = await api.results.get({ id: data.resultId, includeData: true });
    const name = (typeof data.path === "string" ? data.path.split("/").pop() : null) || `${artifactId}.bin`;
    const body = result.base64 !== null ? Buffer.from(result.base64, "base64") : Buffer.from(JSON.stringify(result.value, null, 2));
    const type = safeMediaType(result.mediaType, result.base64 !== null ? "application/octet-stream" : "application/json");
    return new Response(body, {
      headers: {
        // A run's bytes may be HTML or script: never sniffed, sandboxed, always a download.
        ...USER_CONTENT_HEADERS,
        "content-type": type,
        "content-length": String(body.byteLength),
        "content-disposition": attachmentDisposition(name),
        "cache-control": "private, no-store",
      },
    });
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) return notFound("The artifact or its file");
    throw err;
  }
}
