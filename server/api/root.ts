/**
 * Baton's API: one tRPC router per entity, served at /api/trpc.
 */
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { workPoolsRouter } from "./routers/work-pools";

export const appRouter = createTRPCRouter({
  workPools: workPoolsRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests) with a given context. */
export const createCaller = createCallerFactory(appRouter);
