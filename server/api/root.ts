/**
 * Baton's API: one tRPC router per entity, served at /api/trpc. The shapes are the contract in
 * notes/API-CONTRACT.md, which the UI and the CLI build against.
 */
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { artifactsRouter } from "./routers/artifacts";
import { concurrencyLimitsRouter } from "./routers/concurrency-limits";
import { dashboardRouter } from "./routers/dashboard";
import { deploymentsRouter } from "./routers/deployments";
import { flowRunsRouter } from "./routers/flow-runs";
import { flowsRouter } from "./routers/flows";
import { logsRouter } from "./routers/logs";
import { resultsRouter } from "./routers/results";
import { taskRunsRouter } from "./routers/task-runs";
import { workPoolsRouter } from "./routers/work-pools";
import { workQueuesRouter } from "./routers/work-queues";
import { workersRouter } from "./routers/workers";
import { workspacesRouter } from "./routers/workspaces";
import { authRouter } from "./routers/auth";
import { invitationsRouter, membersRouter } from "./routers/members";
import { apiKeysRouter } from "./routers/api-keys";
import { kindsRouter } from "./routers/kinds";
import { liveRouter } from "./routers/live";
import { notebooksRouter } from "./routers/notebooks";

export const appRouter = createTRPCRouter({
  auth: authRouter,
  workspaces: workspacesRouter,
  members: membersRouter,
  invitations: invitationsRouter,
  apiKeys: apiKeysRouter,
  flows: flowsRouter,
  deployments: deploymentsRouter,
  flowRuns: flowRunsRouter,
  taskRuns: taskRunsRouter,
  workPools: workPoolsRouter,
  workQueues: workQueuesRouter,
  workers: workersRouter,
  logs: logsRouter,
  artifacts: artifactsRouter,
  results: resultsRouter,
  concurrencyLimits: concurrencyLimitsRouter,
  kinds: kindsRouter,
  live: liveRouter,
  dashboard: dashboardRouter,
  notebooks: notebooksRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (server components, tests) with a given context. */
export const createCaller = createCallerFactory(appRouter);
