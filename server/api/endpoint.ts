/**
 * The API endpoints as the server serves them, in one place: `/api/trpc/*` (limits first, then
 * tRPC) and `/api/results/upload`, over the process runtime's database. Used by the Next.js route
 * handlers and, ahead of Next's router, by the server's own listener (server/http-server.ts):
 * the API does not need Next, and skipping its routing takes milliseconds off every call.
 */
import { getAuthSettings, getRuntime } from "../runtime";
import { handleTrpcRequest } from "./http";
import { RESULT_UPLOAD_PATH, limitTrpcRequest, trpcLimitsFrom } from "./http-limits";
import { handleResultUpload } from "./result-upload";

async function getDb() {
  return (await getRuntime()).database.db;
}

/** The server's engine settings and wake-up signals, so a new run wakes long-polling workers. */
async function getEngine() {
  return (await getRuntime()).engine;
}

export async function serveTrpc(req: Request): Promise<Response> {
  // Requests a second, body size and JSON depth, before tRPC reads the request.
  const limited = await limitTrpcRequest(req, trpcLimitsFrom((await getRuntime()).config));
  if (limited instanceof Response) return limited;
  const res = await handleTrpcRequest(limited, getDb, getEngine, getAuthSettings);
  try {
    res.headers.set("x-content-type-options", "nosniff");
  } catch {
    // immutable headers: leave them
  }
  return res;
}

export async function serveResultUpload(req: Request): Promise<Response> {
  return handleResultUpload(req, await getDb(), await getAuthSettings());
}

/** The API path this module serves, or undefined (for Next.js to route). */
export function apiEndpointFor(pathname: string): ((req: Request) => Promise<Response>) | undefined {
  if (pathname.startsWith("/api/trpc/")) return serveTrpc;
  if (pathname === RESULT_UPLOAD_PATH) return serveResultUpload;
  return undefined;
}
