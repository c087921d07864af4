import { z } from "zod";
import { runDeployment } from "../../domain/deployment-runs";
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  updateDeployment,
} from "../../domain/deployments";
import { createTRPCRouter, workspaceProcedure, zDate, zId, zName, zTags } from "../trpc";
import { flowRunOutput, zIdempotencyKey } from "./flow-runs";
import { deletedOutput, zIsoDateInput, zJsonObject, zNullableDate, zPriority, zRef } from "./inputs";

/** A cron schedule (`cron`) or an interval one (`intervalSeconds`); the domain checks which and whether it parses. */
const scheduleInput = z.object({
  cron: z.string().trim().min(1, "must not be empty").max(200).optional(),
  intervalSeconds: z.number().int("must be a whole number of seconds").positive("must be above 0").optional(),
  anchorDate: zIsoDateInput.optional(),
  timezone: z.string().trim().min(1, "must not be empty").max(100).optional(),
  active: z.boolean().optional(),
  catchup: z.enum(["skip", "once"], { error: "must be skip or once" }).optional(),
});

const scheduleOutput = z.object({
  id: zId,
  cron: z.string().nullable(),
  intervalSeconds: z.number().int().nullable(),
  anchorDate: zNullableDate,
  timezone: z.string(),
  active: z.boolean(),
  catchup: z.enum(["skip", "once"]),
});

/**
 * Per-deployment overrides of the pool's baseJobTemplate (Prefect's job variables), so that
 * deployments sharing one `process` pool can run different commands. Strict: a misspelt key
 * would otherwise be stored and silently ignored by the worker.
 */
export const zJobVariables = z.strictObject(
  {
    command: z.array(z.string().min(1, "must not be empty")).min(1, "must name a program").optional(),
    env: z.record(z.string(), z.string(), { error: "must map names to strings" }).optional(),
    workingDir: z.string().trim().min(1, "must not be empty").max(1000).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown job variable ${issue.keys.map((k) => `"${k}"`).join(", ")} (known: command, env, workingDir)`
        : "must be a JSON object",
  },
);

export const deploymentOutput = z.object({
  id: zId,
  name: z.string(),
  flowId: zId,
  flowName: z.string(),
  version: z.string().nullable(),
  description: z.string().nullable(),
  entrypoint: z.string().nullable(),
  parameters: z.record(z.string(), z.unknown()),
  parameterSchema: z.record(z.string(), z.unknown()).nullable(),
  enforceParameterSchema: z.boolean(),
  jobVariables: z.record(z.string(), z.unknown()),
  workPoolId: zId.nullable(),
  workPoolName: z.string().nullable(),
  workQueueId: zId.nullable(),
  workQueueName: z.string().nullable(),
  tags: z.array(z.string()),
  paused: z.boolean(),
  schedules: z.array(scheduleOutput),
  createdAt: zDate,
  updatedAt: zDate,
});

const editableFields = {
  version: z.string().trim().max(200).nullish(),
  description: z.string().max(5000).nullish(),
  entrypoint: z.string().trim().max(1000).nullish(),
  parameters: zJsonObject.optional(),
  parameterSchema: zJsonObject.nullish(),
  enforceParameterSchema: z.boolean().optional(),
  jobVariables: zJobVariables.optional(),
  workPool: zRef("work pool").nullish(),
  workQueue: zRef("work queue").nullish(),
  tags: zTags.optional(),
  paused: z.boolean().optional(),
  schedules: z.array(scheduleInput).max(100).optional(),
};

const deploymentRef = z.object({ deployment: zRef("deployment") });

export const deploymentsRouter = createTRPCRouter({
  create: workspaceProcedure
    .input(z.object({ flow: zRef("flow"), name: zName, ...editableFields }))
    .output(deploymentOutput)
    .mutation(({ ctx, input }) => createDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  update: workspaceProcedure
    .input(deploymentRef.extend({ name: zName.optional(), ...editableFields }))
    .output(deploymentOutput)
    .mutation(({ ctx, input: { deployment, ...patch } }) =>
      updateDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: deployment, patch }),
    ),

  delete: workspaceProcedure
    .input(deploymentRef)
    .output(deletedOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.deployment });
      return { deleted: true as const };
    }),

  list: workspaceProcedure
    .input(
      z
        .object({ flow: zRef("flow").optional(), workPool: zRef("work pool").optional(), paused: z.boolean().optional() })
        .optional(),
    )
    .output(z.array(deploymentOutput))
    .query(({ ctx, input }) => listDeployments({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  get: workspaceProcedure
    .input(deploymentRef)
    .output(deploymentOutput)
    .query(({ ctx, input }) => getDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.deployment })),

  run: workspaceProcedure
    .input(
      deploymentRef.extend({
        parameters: zJsonObject.optional(),
        scheduledTime: zIsoDateInput.optional(),
        idempotencyKey: zIdempotencyKey.optional(),
        tags: zTags.optional(),
        priority: zPriority.optional(),
        name: zName.optional(),
      }),
    )
    .output(flowRunOutput)
    .mutation(({ ctx, input: { deployment, ...rest } }) =>
      runDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: deployment, ...rest, actor: ctx.actor }),
    ),
});
