/**
 * Downloads the result of a flow run or of one of its task runs: the stored bytes (a blob) or
 * the JSON value pretty-printed, named after the run. Through the same API calls as the page,
 * so workspace scoping and "not found" behave the same; a task run of another flow run is not
 * found here.
 */
import "server-only";
import { TRPCError } from "@trpc/server";
import { serverCaller } from "@/server/api/server-caller";
import { attachmentDisposition, safeMediaType, USER_CONTENT_HEADERS } from "@/server/user-content";

function notFound(what: string): Response {
  return new Response(`${what} was not found\n`, { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** The file name a download gets: the run's name and an extension for what it holds. */
function fileName(runName: string, json: boolean): string {
  const base = runName.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "result";
  return `${base}-result.${json ? "json" : "bin"}`;
}

export async function resultDownload(flowRunId: string, taskRunId?: string): Promise<Response> {
  const api = await serverCaller();
  try {
    const run = taskRunId ? await api.taskRuns.get({ id: taskRunId }) : await api.flowRuns.get({ id: flowRunId });
    if (taskRunId && "flowRunId" in run && run.flowRunId !== flowRunId) return notFound("A task run with this id in this flow run");
    const result = await api.results.ofRun({ ...(taskRunId ? { taskRunId } : { flowRunId }), includeData: true });
    if (!result) return notFound("A result of this run");
    const body = result.base64 !== null ? Buffer.from(result.base64, "base64") : Buffer.from(JSON.stringify(result.value, null, 2));
    const json = result.base64 === null || result.mediaType === "application/json";
    const type = safeMediaType(result.mediaType, json ? "application/json" : "application/octet-stream");
    return new Response(body, {
      headers: {
        // A run's bytes may be HTML or script: never sniffed, sandboxed, always a download.
        ...USER_CONTENT_HEADERS,
        "content-type": type,
        "content-length": String(body.byteLength),
        "content-disposition": attachmentDisposition(fileName(run.name, json)),
        "cache-control": "private, no-store",
      },
    });
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) return notFound("The run or its result");
    throw err;
  }
}
