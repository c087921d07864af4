import { z } from "zod";
import { zRunPolicy } from "../../domain/deployment-policy";
import { runDeployment } from "../../domain/deployment-runs";
import {
  createDeployment,
  deleteDeployment,
  getDeployment,
  listDeployments,
  updateDeployment,
} from "../../domain/deployments";
import { MAX_CODE_BYTES } from "../../domain/code-bundles";
import { createTRPCRouter, zDate, zId, zName, zTags, viewerProcedure, editorProcedure, requireExecutionPrivilege, type WorkspaceContext } from "../trpc";
import { flowRunOutput, zIdempotencyKey } from "./flow-runs";
import { deletedOutput, zIsoDateInput, zJsonObject, zNullableDate, zPriority, zRef } from "./inputs";

/** A cron schedule (`cron`) or an interval one (`intervalSeconds`); the domain checks which and whether it parses. */
const scheduleInput = z.object({
  cron: z.string().trim().min(1, "must not be empty").max(200).optional(),
  /** A six-field cron's first field is seconds, on purpose (six fields are refused otherwise: "0 8 * * * *" is hourly at :08). */
  seconds: z.boolean().optional(),
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
  /** `sha256:<hex>` of the code delivered with it (`baton deploy`); null: workers run the entrypoint from their checkout. */
  codeVersion: z.string().nullable(),
  /** The npm packages that code imports, and the files it was bundled from. */
  code: z.object({ dependencies: z.record(z.string(), z.string()), files: z.array(z.string()), sizeBytes: z.number().int(), createdAt: zDate }).nullable(),
  /** Its pull step: workers fetch the code from git. */
  pull: z.object({ git: z.string(), ref: z.string(), directory: z.string().optional() }).nullable(),
  parameters: z.record(z.string(), z.unknown()),
  parameterSchema: z.record(z.string(), z.unknown()).nullable(),
  enforceParameterSchema: z.boolean(),
  jobVariables: z.record(z.string(), z.unknown()),
  /** As stored: bounds are checked on write (a value migrated from an old `x-baton` may predate one). */
  policy: z.object({
    maxRetries: z.number().int().optional(),
    retryDelaySeconds: z.number().optional(),
    retryBackoff: z.number().optional(),
    retryJitter: z.number().optional(),
    timeoutSeconds: z.number().optional(),
    requirements: z.record(z.string(), z.unknown()).optional(),
  }),
  workPoolId: zId.nullable(),
  workPoolName: z.string().nullable(),
  workQueueId: zId.nullable(),
  workQueueName: z.string().nullable(),
  tags: z.array(z.string()),
  paused: z.boolean(),
  schedules: z.array(scheduleOutput),
  /** Why the scheduler made none of its last scheduled runs, and since when; null while it schedules fine. */
  scheduleError: z.string().nullable(),
  scheduleErrorAt: zNullableDate,
  createdAt: zDate,
  updatedAt: zDate,
});

/**
 * `kind:<name>` runs a built-in task kind; anything else is `path/to/file.ts:flowName`, resolved
 * by the worker inside its code root: no absolute paths, no `..`, so a deployment cannot point
 * a worker at a file outside the code it was given.
 */
const zEntrypoint = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(1000)
  .refine((v) => v.startsWith("kind:") || !(/^([/\\]|[A-Za-z]:)/.test(v) || /(^|[/\\])\.\.([/\\]|:|$)/.test(v)), {
    message: "must be a path inside the worker's code root (no absolute path, no ..), or kind:<name>",
  });

/** npm package names as npm allows them (a scope, then a name). */
const zPackageName = z.string().max(214).regex(/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/, "must be an npm package name");

/** A flow delivered with its deployment (`baton deploy` bundles it): workers run this exact code. */
export const zCodeInput = z.object({
  source: z.string().min(1, "must not be empty").max(MAX_CODE_BYTES, `at most ${MAX_CODE_BYTES} characters`),
  dependencies: z
    .record(zPackageName, z.string().max(200), { error: "must map npm package names to version ranges" })
    .refine((d) => Object.keys(d).length <= 500, "at most 500 packages")
    .default({}),
  files: z.array(z.string().max(1000)).max(5000).optional(),
});

/**
 * A pull step: the worker fetches the code from a git repository at `ref` (a branch, tag or
 * commit; resolved when each run starts) and runs the entrypoint from it (`directory`: where in
 * the repository). URLs as git takes them; no options can be smuggled in (a leading "-").
 */
export const zPullStep = z.strictObject({
  git: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .regex(/^(https?:\/\/|ssh:\/\/|git@|file:\/\/|\/)[^\s]+$/, "must be a git URL (https://, ssh://, git@host:path, file:// or an absolute path)"),
  ref: z.string().trim().min(1).max(250).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, "must be a branch, tag or commit").default("HEAD"),
  directory: z
    .string()
    .trim()
    .max(1000)
    .refine((v) => !(/^([/\\]|[A-Za-z]:)/.test(v) || /(^|[/\\])\.\.([/\\]|$)/.test(v)), "must be a path inside the repository (no absolute path, no ..)")
    .optional(),
});

const editableFields = {
  /** The flow's code, delivered (null: run the entrypoint from the worker's checkout again). */
  code: zCodeInput.nullish(),
  /** Or fetched by the worker from git (null: none). */
  pull: zPullStep.nullish(),
  version: z.string().trim().max(200).nullish(),
  description: z.string().max(5000).nullish(),
  entrypoint: zEntrypoint.nullish(),
  parameters: zJsonObject.optional(),
  parameterSchema: zJsonObject.nullish(),
  enforceParameterSchema: z.boolean().optional(),
  /** Replaces the whole policy; absent, a policy under `x-baton` in parameterSchema is taken (and removed from it). */
  policy: zRunPolicy.optional(),
  jobVariables: zJobVariables.optional(),
  workPool: zRef("work pool").nullish(),
  workQueue: zRef("work queue").nullish(),
  tags: zTags.optional(),
  paused: z.boolean().optional(),
  schedules: z.array(scheduleInput).max(100).optional(),
};

const deploymentRef = z.object({ deployment: zRef("deployment") });

/** Job variables, code entrypoints and delivered code decide what a worker executes: a privilege of its own. */
function checkExecutionFields(ctx: WorkspaceContext, input: { jobVariables?: unknown; entrypoint?: string | null; code?: unknown; pull?: unknown }): void {
  if (input.jobVariables !== undefined && Object.keys(input.jobVariables as object).length) requireExecutionPrivilege(ctx, "jobVariables");
  if (input.entrypoint && !input.entrypoint.startsWith("kind:")) requireExecutionPrivilege(ctx, "entrypoint");
  if (input.code) requireExecutionPrivilege(ctx, "code");
  if (input.pull) requireExecutionPrivilege(ctx, "pull");
}

export const deploymentsRouter = createTRPCRouter({
  create: editorProcedure
    .input(z.object({ flow: zRef("flow"), name: zName, ...editableFields }))
    .output(deploymentOutput)
    .mutation(({ ctx, input }) => {
      checkExecutionFields(ctx, input);
      return createDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, actor: ctx.actor, ...input });
    }),

  update: editorProcedure
    .input(deploymentRef.extend({ name: zName.optional(), ...editableFields }))
    .output(deploymentOutput)
    .mutation(async ({ ctx, input: { deployment, ...patch } }) => {
      if (patch.jobVariables !== undefined) requireExecutionPrivilege(ctx, "jobVariables");
      checkExecutionFields(ctx, patch);
      // Sending code an owner approved (a file entrypoint, job variables) to another pool's
      // machines decides where it executes: the same privilege as setting it.
      if (patch.workPool !== undefined && !ctx.access.mayDefineExecution) {
        const current = await getDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: deployment });
        const definesExecution =
          Object.keys(current.jobVariables ?? {}).length > 0 ||
          Boolean(current.entrypoint && !current.entrypoint.startsWith("kind:")) ||
          current.codeVersion !== null ||
          current.pull !== null;
        if (definesExecution && current.workPoolId !== patch.workPool && current.workPoolName !== patch.workPool) requireExecutionPrivilege(ctx, "workPool");
      }
      return updateDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: deployment, patch, actor: ctx.actor });
    }),

  /** Its runs still waiting to start are CANCELLED (`withdrawnRuns` says how many); started and finished ones stay. */
  delete: editorProcedure
    .input(deploymentRef)
    .output(deletedOutput.extend({ withdrawnRuns: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const { withdrawnRuns } = await deleteDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.deployment, actor: ctx.actor });
      return { deleted: true as const, withdrawnRuns };
    }),

  list: viewerProcedure
    .input(
      z
        .object({ flow: zRef("flow").optional(), workPool: zRef("work pool").optional(), paused: z.boolean().optional() })
        .optional(),
    )
    .output(z.array(deploymentOutput))
    .query(({ ctx, input }) => listDeployments({ db: ctx.db, workspaceId: ctx.workspaceId, ...input })),

  get: viewerProcedure
    .input(deploymentRef)
    .output(deploymentOutput)
    .query(({ ctx, input }) => getDeployment({ db: ctx.db, workspaceId: ctx.workspaceId, ref: input.deployment })),

  run: editorProcedure
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
