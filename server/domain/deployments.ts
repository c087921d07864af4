/**
 * Deployments: a flow plus where (pool and queue), when (schedules) and how (parameters and
 * their schema, and the run policy). Every write checks schedules, policy and parameters first
 * and then writes the flow, the deployment and its schedules in one transaction, so a refused
 * request leaves nothing.
 */
import { and, asc, eq, type SQL } from "drizzle-orm";
import { codeBundles, deployments, flowRuns, flows, workPools, workQueues } from "../../drizzle/schema";
import type { DbOrTx } from "../db/client";
import { setRunStates } from "../engine/transitions";
import { AppError } from "../errors";
import { storeCodeBundle, type CodeInput } from "./code-bundles";
import { isDirectoryArchive } from "../../common/code-archive";
import { checkRunPolicy, policyFromParameterSchema, type DeploymentRunPolicy } from "./deployment-policy";
import { checkSchedules, replaceSchedules, schedulesOf, type ScheduleInput, type ScheduleRow } from "./deployment-schedules";
import { findFlow, findOrCreateFlow } from "./flows";
import { checkParameters, checkParameterSchema } from "./parameters";
import { isUuid } from "./refs";
import { isKindName, KIND_NAMES, kindInfo, kindOfEntrypoint, unknownKindMessage } from "../../workers/kinds/registry";
import { getWorkPool } from "./work-pools";
import { resolvePlacement } from "./work-queues";

export type DeploymentRow = typeof deployments.$inferSelect;
export type DeploymentView = DeploymentRow & {
  flowName: string;
  workPoolName: string | null;
  workQueueName: string | null;
  schedules: ScheduleRow[];
  /** What its delivered code imports and was made from (null: none delivered). */
  code: { dependencies: Record<string, string>; files: string[]; sizeBytes: number; createdAt: Date } | null;
};

/** The fields create and update share (update takes each as "leave unchanged" when absent). */
export interface DeploymentFields {
  /** Its flow's code, delivered with it (null: the worker's checkout again). */
  code?: CodeInput | null;
  /** Or a pull step: the worker fetches the code from git (null: none). */
  pull?: { git: string; ref: string; directory?: string } | null;
  version?: string | null;
  description?: string | null;
  entrypoint?: string | null;
  parameters?: Record<string, unknown>;
  parameterSchema?: Record<string, unknown> | null;
  enforceParameterSchema?: boolean;
  /**
   * Retries, delay, backoff, jitter, timeout and requirements of its runs (replaced whole on
   * update). Absent, a policy under `x-baton` in the parameter schema is taken instead.
   */
  policy?: DeploymentRunPolicy;
  /** Overrides of the pool's job template (replaced whole on update; `{}` clears them). */
  jobVariables?: Record<string, unknown>;
  workPool?: string | null;
  workQueue?: string | null;
  tags?: string[];
  paused?: boolean;
  schedules?: ScheduleInput[];
}

async function views(db: DbOrTx, where: SQL | undefined): Promise<DeploymentView[]> {
  const rows = await db
    .select({
      deployment: deployments,
      flowName: flows.name,
      workPoolName: workPools.name,
      workQueueName: workQueues.name,
      code: { dependencies: codeBundles.dependencies, files: codeBundles.files, sizeBytes: codeBundles.sizeBytes, createdAt: codeBundles.createdAt },
    })
    .from(deployments)
    .innerJoin(flows, eq(flows.id, deployments.flowId))
    .leftJoin(codeBundles, eq(codeBundles.id, deployments.codeBundleId))
    .leftJoin(workPools, eq(workPools.id, deployments.workPoolId))
    .leftJoin(workQueues, eq(workQueues.id, deployments.workQueueId))
    .where(where)
    .orderBy(asc(flows.name), asc(deployments.name));
  const schedules = await schedulesOf({ db, deploymentIds: rows.map((r) => r.deployment.id) });
  return rows.map((r) => ({
    ...r.deployment,
    flowName: r.flowName,
    workPoolName: r.workPoolName,
    workQueueName: r.workQueueName,
    schedules: schedules.get(r.deployment.id) ?? [],
    code: r.code && r.code.sizeBytes !== null ? (r.code as NonNullable<DeploymentView["code"]>) : null,
  }));
}

/**
 * Finds a deployment by id, by "flow-name/deployment-name", or by its bare name when only one
 * flow has a deployment of that name.
 */
export async function findDeployment(opts: {
  db: DbOrTx;
  workspaceId: string;
  ref: string;
  field?: string;
}): Promise<DeploymentRow> {
  const field = opts.field ?? "deployment";
  const inWorkspace = eq(deployments.workspaceId, opts.workspaceId);
  let where: SQL | undefined;
  if (isUuid(opts.ref)) {
    where = and(inWorkspace, eq(deployments.id, opts.ref));
  } else if (opts.ref.includes("/")) {
    const slash = opts.ref.indexOf("/");
    where = and(inWorkspace, eq(flows.name, opts.ref.slice(0, slash)), eq(deployments.name, opts.ref.slice(slash + 1)));
  } else {
    where = and(inWorkspace, eq(deployments.name, opts.ref));
  }
  const rows = await opts.db
    .select({ deployment: deployments })
    .from(deployments)
    .innerJoin(flows, eq(flows.id, deployments.flowId))
    .where(where)
    .limit(2);
  if (rows.length === 0) throw AppError.notFound("Deployment", `"${opts.ref}"`, field);
  if (rows.length > 1) {
    throw AppError.badRequest(
      `${field}: several flows have a deployment named "${opts.ref}"; name it as "flow-name/${opts.ref}"`,
      field,
    );
  }
  return rows[0]!.deployment;
}

export async function getDeployment(opts: { db: DbOrTx; workspaceId: string; ref: string }): Promise<DeploymentView> {
  const found = await findDeployment(opts);
  const [view] = await views(opts.db, eq(deployments.id, found.id));
  return view!;
}

export async function listDeployments(opts: {
  db: DbOrTx;
  workspaceId: string;
  flow?: string;
  workPool?: string;
  paused?: boolean;
}): Promise<DeploymentView[]> {
  const flow = opts.flow ? await findFlow({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.flow }) : undefined;
  const pool = opts.workPool
    ? await getWorkPool({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.workPool })
    : undefined;
  return views(
    opts.db,
    and(
      eq(deployments.workspaceId, opts.workspaceId),
      flow ? eq(deployments.flowId, flow.id) : undefined,
      pool ? eq(deployments.workPoolId, pool.id) : undefined,
      opts.paused !== undefined ? eq(deployments.paused, opts.paused) : undefined,
    ),
  );
}

/** Checks a schema and the defaults against it; defaults may leave out required fields, which runs supply. */
function checkParameterFields(schema: Record<string, unknown> | null | undefined, parameters: Record<string, unknown>) {
  if (!schema) return;
  checkParameterSchema(schema);
  checkParameters({ schema, parameters, partial: true });
}

/** Canonical JSON (keys sorted): jsonb gives a stored schema back with its keys reordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A kind's own parameter schema, as stored by default (so a later change of kind may replace it). */
function isKindDefaultSchema(schema: Record<string, unknown> | null | undefined): boolean {
  if (!schema) return false;
  const stored = canonicalJson(schema);
  return KIND_NAMES.some((name) => canonicalJson(kindInfo(name).parameterSchema) === stored);
}

/**
 * A `kind:<name>` entrypoint must name a kind of the registry (workers/kinds/registry.ts): not
 * a file, and not one of the modules kinds are built from. Its parameter schema, when the
 * deployment gives none, is the kind's own, so defaults and every run's parameters are checked
 * against what the kind takes. (On update the kind's schema replaces only none or another
 * kind's default, never one the deployment was given.)
 */
function kindSchemaFor(
  entrypoint: string | null | undefined,
  given: Record<string, unknown> | null | undefined,
  current?: Record<string, unknown> | null,
): Record<string, unknown> | null | undefined {
  const kind = kindOfEntrypoint(entrypoint);
  // Code instead of a kind: a kind's default schema no longer says what the runs take.
  if (kind === undefined) return given === undefined && isKindDefaultSchema(current) ? null : given;
  if (!isKindName(kind)) throw AppError.badRequest(`entrypoint: ${unknownKindMessage(kind)}`, "entrypoint");
  if (given) return given;
  if (given === undefined && current !== undefined && current !== null && !isKindDefaultSchema(current)) return given;
  return kindInfo(kind).parameterSchema;
}

/**
 * The schema and policy to store: `x-baton` taken out of the schema (checked, so a bad value is
 * refused naming `parameterSchema.x-baton.<field>`, never defaulted), and the policy given (checked
 * as `policy.<field>`), or else the one the schema carried. `policy` undefined: leave it as it is.
 */
function splitPolicy(fields: Pick<DeploymentFields, "parameterSchema" | "policy">): Pick<DeploymentFields, "parameterSchema" | "policy"> {
  const { parameterSchema, policy: carried } = policyFromParameterSchema(fields.parameterSchema);
  const given = fields.policy === undefined ? undefined : checkRunPolicy(fields.policy, "policy");
  return { parameterSchema, policy: given ?? carried };
}

/** The columns that say which delivered code a deployment runs: stored first when new. */
async function codeColumns(db: DbOrTx, workspaceId: string, code: CodeInput | null | undefined, actor: string) {
  if (code === undefined) return {};
  if (code === null) return { codeBundleId: null, codeVersion: null };
  const bundle = await storeCodeBundle({ db, workspaceId, code, actor });
  return { codeBundleId: bundle.id, codeVersion: bundle.version };
}

/**
 * A packed directory (`baton deploy --dir`) is the code of a process pool's command: any other
 * pool has no command to run in it (a node pool's worker would refuse the run), so a deployment
 * that would send one elsewhere is refused here, not only by the CLI. `source` is the code the
 * deployment would have, `workPoolId` its pool, after the change.
 */
async function checkDirectoryPlacement(db: DbOrTx, workspaceId: string, source: string | undefined, workPoolId: string | null, field: "code" | "workPool"): Promise<void> {
  if (source === undefined || !isDirectoryArchive(source)) return;
  if (workPoolId === null) throw AppError.badRequest(`${field}: a directory (baton deploy --dir) is the code of a process pool's command: give workPool, a process pool`, field);
  const pool = await getWorkPool({ db, workspaceId, ref: workPoolId });
  if (pool.type !== "process") {
    throw AppError.badRequest(`${field}: a directory (baton deploy --dir) is the code of a process pool's command; pool ${pool.name} is a ${pool.type} pool (deploy a flow file to it instead, or choose a process pool)`, field);
  }
}

export async function createDeployment(
  input: DeploymentFields & { db: DbOrTx; workspaceId: string; flow: string; name: string; actor?: string },
): Promise<DeploymentView> {
  const split = { ...input, ...splitPolicy(input) };
  const opts = { ...split, parameterSchema: kindSchemaFor(split.entrypoint, split.parameterSchema) };
  checkParameterFields(opts.parameterSchema, opts.parameters ?? {});
  if (opts.schedules) checkSchedules(opts.schedules);
  const id = await opts.db.transaction(async (tx) => {
    const flow = await findOrCreateFlow({ db: tx, workspaceId: opts.workspaceId, ref: opts.flow });
    const placement = await resolvePlacement({ db: tx, workspaceId: opts.workspaceId, ...pick(opts) });
    await checkDirectoryPlacement(tx, opts.workspaceId, opts.code?.source, placement?.workPoolId ?? null, "code");
    const code = await codeColumns(tx, opts.workspaceId, opts.code, opts.actor ?? "user");
    const [row] = await tx
      .insert(deployments)
      .values({
        ...code,
        workspaceId: opts.workspaceId,
        flowId: flow.id,
        name: opts.name,
        version: opts.version ?? null,
        description: opts.description ?? null,
        entrypoint: opts.entrypoint ?? null,
        pull: opts.pull ?? null,
        parameters: opts.parameters ?? {},
        parameterSchema: opts.parameterSchema ?? null,
        enforceParameterSchema: opts.enforceParameterSchema ?? true,
        policy: opts.policy ?? {},
        jobVariables: opts.jobVariables ?? {},
        workPoolId: placement?.workPoolId ?? null,
        workQueueId: placement?.workQueueId ?? null,
        tags: [...new Set(opts.tags ?? [])],
        paused: opts.paused ?? false,
      })
      .returning({ id: deployments.id });
    if (opts.schedules?.length) {
      await replaceSchedules({ db: tx, workspaceId: opts.workspaceId, deploymentId: row!.id, schedules: opts.schedules });
    }
    return row!.id;
  });
  return getDeployment({ db: opts.db, workspaceId: opts.workspaceId, ref: id });
}

const pick = (o: { workPool?: string | null; workQueue?: string | null }) => ({ workPool: o.workPool, workQueue: o.workQueue });

/** Changes the fields given; `schedules`, when given, replaces all of them. */
export async function updateDeployment(opts: {
  db: DbOrTx;
  workspaceId: string;
  ref: string;
  patch: DeploymentFields & { name?: string };
  actor?: string;
}): Promise<DeploymentView> {
  const split = { ...opts.patch, ...splitPolicy(opts.patch) };
  const current = await findDeployment({ db: opts.db, workspaceId: opts.workspaceId, ref: opts.ref });
  const entrypoint = split.entrypoint !== undefined ? split.entrypoint : current.entrypoint;
  const patch =
    split.entrypoint !== undefined || split.parameterSchema !== undefined
      ? { ...split, parameterSchema: kindSchemaFor(entrypoint, split.parameterSchema, current.parameterSchema) }
      : split;
  if (patch.parameterSchema !== undefined || patch.parameters !== undefined) {
    const schema = patch.parameterSchema !== undefined ? patch.parameterSchema : current.parameterSchema;
    checkParameterFields(schema, patch.parameters ?? current.parameters);
  }
  if (patch.schedules) checkSchedules(patch.schedules);
  await opts.db.transaction(async (tx) => {
    const placement = await resolvePlacement({
      db: tx,
      workspaceId: opts.workspaceId,
      ...pick(patch),
      currentWorkPoolId: current.workPoolId,
    });
    const { workPool: _p, workQueue: _q, schedules, tags, code, ...columns } = patch;
    if (code !== undefined || placement !== undefined) {
      // The code and pool it would have: a new directory onto its pool, or its directory onto a new pool.
      const source = code !== undefined ? code?.source : current.codeBundleId ? (await tx.select({ source: codeBundles.source }).from(codeBundles).where(eq(codeBundles.id, current.codeBundleId)))[0]?.source : undefined;
      await checkDirectoryPlacement(tx, opts.workspaceId, source, placement ? placement.workPoolId : current.workPoolId, code !== undefined && code !== null ? "code" : "workPool");
    }
    await tx
      .update(deployments)
      .set({
        ...columns,
        ...(await codeColumns(tx, opts.workspaceId, code, opts.actor ?? "user")),
        ...(tags ? { tags: [...new Set(tags)] } : {}),
        ...(placement ?? {}),
        updatedAt: new Date(),
      })
      .where(eq(deployments.id, current.id));
    if (schedules) {
      await replaceSchedules({ db: tx, workspaceId: opts.workspaceId, deploymentId: current.id, schedules });
    }
  });
  return getDeployment({ db: opts.db, workspaceId: opts.workspaceId, ref: current.id });
}

/** At most this many runs change state in one statement when a deployment is deleted. */
const WITHDRAW_BATCH = 1000;

/**
 * Deletes a deployment and its schedules, and withdraws the runs of it still waiting to start
 * (SCHEDULED: future, late or awaiting a retry): without its entrypoint and job variables no
 * worker could run them. Each becomes CANCELLED through the state machine, so its history says
 * why; the runs that already started or finished stay, their deployment_id set to null.
 *
 * The deployment row is locked first: a scheduler or `deployments.run` making a run of it at the
 * same moment waits on that lock (the run's foreign key) and then fails, so no run slips in
 * between the withdrawal and the delete. A run a worker claims meanwhile changes version, and
 * the withdrawal leaves it to its worker.
 */
export async function deleteDeployment(opts: {
  db: DbOrTx;
  workspaceId: string;
  ref: string;
  actor: string;
}): Promise<{ withdrawnRuns: number }> {
  const found = await findDeployment(opts);
  return opts.db.transaction(async (tx) => {
    await tx.select({ id: deployments.id }).from(deployments).where(eq(deployments.id, found.id)).for("update");
    const waiting = await tx
      .select({ id: flowRuns.id, stateVersion: flowRuns.stateVersion })
      .from(flowRuns)
      .where(and(eq(flowRuns.deploymentId, found.id), eq(flowRuns.stateType, "SCHEDULED")));
    const flowName = (await findFlow({ db: tx, workspaceId: opts.workspaceId, ref: found.flowId })).name;
    const message = `withdrawn: its deployment ${flowName}/${found.name} was deleted`;
    let withdrawnRuns = 0;
    for (let i = 0; i < waiting.length; i += WITHDRAW_BATCH) {
      const results = await setRunStates({
        db: tx,
        workspaceId: opts.workspaceId,
        kind: "flow",
        actor: opts.actor,
        changes: waiting.slice(i, i + WITHDRAW_BATCH).map((r) => ({
          runId: r.id,
          expectedVersion: r.stateVersion,
          to: { type: "CANCELLED" as const, message },
        })),
      });
      withdrawnRuns += results.filter((r) => r.ok).length;
    }
    await tx.delete(deployments).where(eq(deployments.id, found.id));
    return { withdrawnRuns };
  });
}
