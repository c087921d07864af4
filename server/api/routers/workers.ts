import { z } from "zod";
import { getWorker, listWorkers } from "../../domain/workers";
import { createTRPCRouter, zDate, zId, viewerProcedure } from "../trpc";
import { zNullableDate, zRef } from "./inputs";
import { workerProtocolProcedures } from "./worker-protocol";

export const workerOutput = z.object({
  id: zId,
  name: z.string(),
  workPoolId: zId,
  workPoolName: z.string(),
  capabilities: z.record(z.string(), z.unknown()),
  /** ONLINE while heartbeats arrive and it has not said goodbye. */
  status: z.enum(["ONLINE", "OFFLINE"]),
  lastHeartbeatAt: zDate,
  stoppedAt: zNullableDate,
  createdAt: zDate,
});

/** Reading workers, and the protocol workers speak (register, claim, heartbeat, goodbye). */
export const workersRouter = createTRPCRouter({
  ...workerProtocolProcedures,
  list: viewerProcedure
    .input(z.object({ workPool: zRef("work pool") }))
    .output(z.array(workerOutput))
    .query(({ ctx, input }) => listWorkers({ db: ctx.db, workspaceId: ctx.workspaceId, workPool: input.workPool, offlineAfterMs: ctx.engine.settings.workerTimeoutMs })),

  get: viewerProcedure
    .input(z.object({ id: zId }))
    .output(workerOutput)
    .query(({ ctx, input }) => getWorker({ db: ctx.db, workspaceId: ctx.workspaceId, id: input.id, offlineAfterMs: ctx.engine.settings.workerTimeoutMs })),
});
