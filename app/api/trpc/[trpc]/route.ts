/**
 * Baton's API over HTTP: every tRPC procedure at /api/trpc/<router>.<procedure>, served from the
 * process runtime's database (installed by the server entry point, or opened from the
 * environment on first use).
 */
import { handleTrpcRequest } from "@/server/api/http";
import { limitTrpcRequest, trpcLimitsFrom } from "@/server/api/http-limits";
import { getAuthSettings, getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

async function getDb() {
  return (await getRuntime()).database.db;
}

/** The server's engine settings and wake-up signals, so a new run wakes long-polling workers. */
async function getEngine() {
  return (await getRuntime()).engine;
}

async function handler(req: Request): Promise<Response> {
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

export { handler as GET, handler as POST };
