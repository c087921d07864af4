/**
 * The HTTP face of the API: tRPC's fetch adapter over the process runtime's database.
 * Used by the Next.js route handler and, with an explicit database, by tests.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Db } from "../db/client";
import { appRouter } from "./root";
import { createContext, type EngineDeps } from "./trpc";
import type { AuthSettings } from "../auth/identity";

export const TRPC_ENDPOINT = "/api/trpc";

export function handleTrpcRequest(
  req: Request,
  getDb: () => Promise<Db> | Db,
  getEngine?: () => Promise<EngineDeps | undefined> | EngineDeps | undefined,
  /** Auth on or off (off when not given: the single local user). */
  getAuth?: () => Promise<AuthSettings> | AuthSettings,
): Promise<Response> {
  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req,
    router: appRouter,
    createContext: async () => createContext({ db: await getDb(), headers: req.headers, engine: await getEngine?.(), auth: await getAuth?.() }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`[baton] ${path ?? "trpc"} failed:`, error.cause ?? error);
      }
    },
  });
}
