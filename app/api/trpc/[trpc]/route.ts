/**
 * Baton's API over HTTP: every tRPC procedure at /api/trpc/<router>.<procedure>, served from the
 * process runtime's database (installed by the server entry point, or opened from the
 * environment on first use).
 */
import { handleTrpcRequest } from "@/server/api/http";
import { getAuthSettings, getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

async function getDb() {
  return (await getRuntime()).database.db;
}

/** The server's engine settings and wake-up signals, so a new run wakes long-polling workers. */
async function getEngine() {
  return (await getRuntime()).engine;
}

function handler(req: Request): Promise<Response> {
  return handleTrpcRequest(req, getDb, getEngine, getAuthSettings);
}

export { handler as GET, handler as POST };
