/**
 * Baton's data model. Every row belongs to a workspace. Migrations in this folder are generated
 * from this file by drizzle-kit (`npm run db:generate`) and applied at start.
 *
 * The SQL must run on PostgreSQL 15 (the server) and PGlite (PostgreSQL 18): keep to what both accept.
 */
import { sql } from "drizzle-orm";
import { STATE_TYPES } from "../server/engine/state-types";
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  doublePrecision,
  bigint,
} from "drizzle-orm/pg-core";

export const stateType = pgEnum("state_type", STATE_TYPES);

export const workPoolType = pgEnum("work_pool_type", ["browser", "node", "process"]);

const id = () => uuid("id").primaryKey().defaultRandom();
const created = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updated = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const workspaceRef = () =>
  uuid("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" });
const tags = () => text("tags").array().notNull().default(sql`'{}'::text[]`);

export const DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000001";

export const workspaces = pgTable("workspaces", {
  id: id(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  description: text("description"),
  createdAt: created(),
});

export const flows = pgTable(
  "flows",
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text("name").notNull(),
    description: text("description"),
    tags: tags(),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [uniqueIndex("flows_workspace_name_key").on(t.workspaceId, t.name)],
);

export const workPools = pgTable(
  "work_pools",
  {
    id: id(),
    workspaceId: workspaceRef(),
    name: text("name").notNull(),
    type: workPoolType("type").notNull(),
    description: text("description"),
    paused: boolean("paused").notNull().default(false),
    concurrencyLimit: integer("concurrency_limit"),
    /** Per-type settings: for `process` pools, the command to run. */
    baseJobTemplate: jsonb("base_job_template").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    uniqueIndex("work_pools_workspace_name_key").on(t.workspaceId, t.name),
    check("work_pools_concurrency_limit_check", sql`${t.concurrencyLimit} IS NULL OR ${t.concurrencyLimit} >= 0`),
  ],
);

export const workQueues = pgTable(
  "work_queues",
  {
    id: id(),
    workspaceId: workspaceRef(),
    workPoolId: uuid("work_pool_id")
      .notNull()
      .references(() => workPools.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    /** Lower runs first, as in Prefect. */
    priority: integer("priority").notNull().default(1),
    concurrencyLimit: integer("concurrency_limit"),
    paused: boolean("paused").notNull().default(false),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    uniqueIndex("work_queues_pool_name_key").on(t.workPoolId, t.name),
    index("work_queues_pool_priority_idx").on(t.workPoolId, t.priority),
    check("work_queues_concurrency_limit_check", sql`${t.concurrencyLimit} IS NULL OR ${t.concurrencyLimit} >= 0`),
  ],
);

export const deployments = pgTable(
  "deployments",
  {
    id: id(),
    workspaceId: workspaceRef(),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    version: text("version"),
    description: text("description"),
    /** Where the worker finds the flow code, e.g. `examples/hello.ts:hello`. */
    entrypoint: text("entrypoint"),
    /** Default parameters, merged under a run's overrides. */
    parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull().default({}),
    /** JSON schema the merged parameters must satisfy. */
    parameterSchema: jsonb("parameter_schema").$type<Record<string, unknown>>(),
    enforceParameterSchema: boolean("enforce_parameter_schema").notNull().default(true),
    workPoolId: uuid("work_pool_id").references(() => workPools.id, { onDelete: "set null" }),
    workQueueId: uuid("work_queue_id").references(() => workQueues.id, { onDelete: "set null" }),
    /**
     * Overrides of the pool's baseJobTemplate for this deployment's runs (as Prefect's job
     * variables): lets deployments in one `process` pool run different commands/env/dirs.
     */
    jobVariables: jsonb("job_variables").$type<Record<string, unknown>>().notNull().default({}),
    tags: tags(),
    paused: boolean("paused").notNull().default(false),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    uniqueIndex("deployments_flow_name_key").on(t.flowId, t.name),
    index("deployments_workspace_idx").on(t.workspaceId, t.createdAt),
    index("deployments_work_pool_idx").on(t.workPoolId),
  ],
);

export const deploymentSchedules = pgTable(
  "deployment_schedules",
  {
    id: id(),
    workspaceId: workspaceRef(),
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    /** Exactly one of cron and intervalSeconds is set. */
    cron: text("cron"),
    intervalSeconds: integer("interval_seconds"),
    anchorDate: ts("anchor_date"),
    timezone: text("timezone").notNull().default("UTC"),
    active: boolean("active").notNull().default(true),
    /** Runs missed while the server was down: `skip` them, or run `once` to catch up. */
    catchup: text("catchup", { enum: ["skip", "once"] }).notNull().default("skip"),
    /** The latest time the scheduler has materialised a run for. */
    materialisedUntil: ts("materialised_until"),
    createdAt: created(),
  },
  (t) => [
    index("deployment_schedules_deployment_idx").on(t.deploymentId),
    check(
      "deployment_schedules_kind_check",
      sql`(${t.cron} IS NOT NULL) <> (${t.intervalSeconds} IS NOT NULL)`,
    ),
    check("deployment_schedules_interval_check", sql`${t.intervalSeconds} IS NULL OR ${t.intervalSeconds} > 0`),
  ],
);

export const results = pgTable("results", {
  id: id(),
  workspaceId: workspaceRef(),
  /** `inline`: the value is in `value`; `blob`: it is in the blob store under `blobKey`. */
  storage: text("storage", { enum: ["inline", "blob"] }).notNull(),
  value: jsonb("value"),
  blobKey: text("blob_key"),
  mediaType: text("media_type"),
  sizeBytes: bigint("size_bytes", { mode: "number" }),
  sha256: text("sha256"),
  createdAt: created(),
});

export const workers = pgTable(
  "workers",
  {
    id: id(),
    workspaceId: workspaceRef(),
    workPoolId: uuid("work_pool_id")
      .notNull()
      .references(() => workPools.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** What the worker offers: cores, memory, GPUs, runtime (node, browser, webgpu). */
    capabilities: jsonb("capabilities").$type<Record<string, unknown>>().notNull().default({}),
    lastHeartbeatAt: ts("last_heartbeat_at").notNull().defaultNow(),
    /** Set when the worker said goodbye; a stopped worker is not counted as online. */
    stoppedAt: ts("stopped_at"),
    createdAt: created(),
  },
  (t) => [uniqueIndex("workers_pool_name_key").on(t.workPoolId, t.name)],
);

const runColumns = () => ({
  id: id(),
  workspaceId: workspaceRef(),
  name: text("name").notNull(),
  stateType: stateType("state_type").notNull(),
  stateName: text("state_name").notNull(),
  stateMessage: text("state_message"),
  /** Bumped on every state change: the optimistic-concurrency check of the state machine. */
  stateVersion: integer("state_version").notNull().default(0),
  stateTimestamp: ts("state_timestamp").notNull().defaultNow(),
  priority: integer("priority").notNull().default(0),
  scheduledTime: ts("scheduled_time").notNull().defaultNow(),
  startTime: ts("start_time"),
  endTime: ts("end_time"),
  /** How many times it has started running (1 on the first attempt). */
  runCount: integer("run_count").notNull().default(0),
  maxRetries: integer("max_retries").notNull().default(0),
  retryDelaySeconds: doublePrecision("retry_delay_seconds").notNull().default(0),
  parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull().default({}),
  resultId: uuid("result_id").references(() => results.id, { onDelete: "set null" }),
  tags: tags(),
  createdAt: created(),
  updatedAt: updated(),
});

export const flowRuns = pgTable(
  "flow_runs",
  {
    ...runColumns(),
    flowId: uuid("flow_id")
      .notNull()
      .references(() => flows.id, { onDelete: "cascade" }),
    deploymentId: uuid("deployment_id").references(() => deployments.id, { onDelete: "set null" }),
    workPoolId: uuid("work_pool_id").references(() => workPools.id, { onDelete: "set null" }),
    workQueueId: uuid("work_queue_id").references(() => workQueues.id, { onDelete: "set null" }),
    /** Set for a subflow: the flow run that called it, and the task run that stands for the call. */
    parentFlowRunId: uuid("parent_flow_run_id"),
    parentTaskRunId: uuid("parent_task_run_id"),
    /** What a worker must offer to run it (e.g. {"gpu": true}). */
    requirements: jsonb("requirements").$type<Record<string, unknown>>().notNull().default({}),
    idempotencyKey: text("idempotency_key"),
    /** Who triggered it: a user, the scheduler, a parent run. */
    createdBy: text("created_by"),
    /** The lease: which worker holds the run and the token its reports must carry. */
    workerId: uuid("worker_id").references(() => workers.id, { onDelete: "set null" }),
    leaseToken: uuid("lease_token"),
    /** Retry policy: delay × backoff^(attempt−1), spread by ± jitter (a fraction). */
    retryBackoff: doublePrecision("retry_backoff").notNull().default(1),
    retryJitter: doublePrecision("retry_jitter").notNull().default(0),
    timeoutSeconds: doublePrecision("timeout_seconds"),
    /** How many times lazarus has put it back after it got stuck. */
    lazarusCount: integer("lazarus_count").notNull().default(0),
    /** Set by the scheduler for runs it materialised. */
    autoScheduled: boolean("auto_scheduled").notNull().default(false),
  },
  (t) => [
    uniqueIndex("flow_runs_flow_idempotency_key").on(t.flowId, t.idempotencyKey),
    // The claim query: runs waiting in a pool, by priority and time.
    index("flow_runs_claim_idx").on(t.workPoolId, t.stateType, t.priority, t.scheduledTime),
    // The run list: newest first, keyset-paginated on (created_at, id).
    index("flow_runs_list_idx").on(t.workspaceId, t.createdAt, t.id),
    index("flow_runs_deployment_idx").on(t.deploymentId, t.scheduledTime),
    index("flow_runs_flow_idx").on(t.flowId, t.createdAt),
    index("flow_runs_parent_idx").on(t.parentFlowRunId),
    index("flow_runs_state_idx").on(t.workspaceId, t.stateType),
    // Active-run counts for queue concurrency limits, and a worker's runs for heartbeats.
    index("flow_runs_queue_state_idx").on(t.workQueueId, t.stateType),
    index("flow_runs_worker_idx").on(t.workerId, t.stateType),
    index("flow_runs_tags_idx").using("gin", t.tags),
    // The claim walks each queue's due runs in order, so a claim reads a handful of index
    // entries however many runs wait (see the claim function, drizzle/0005 and later).
    index("flow_runs_due_idx")
      .on(t.workQueueId, t.priority, t.scheduledTime, t.id)
      .where(sql`${t.stateType} = 'SCHEDULED'`),
  ],
);

export const taskRuns = pgTable(
  "task_runs",
  {
    ...runColumns(),
    flowRunId: uuid("flow_run_id")
      .notNull()
      .references(() => flowRuns.id, { onDelete: "cascade" }),
    /** The task's identity within its flow (its name); with dynamicKey it names one call. */
    taskKey: text("task_key").notNull(),
    dynamicKey: text("dynamic_key").notNull().default("0"),
    cacheKey: text("cache_key"),
    cacheExpiresAt: ts("cache_expires_at"),
    /** The DAG: task runs whose results this one consumes. */
    upstreamTaskRunIds: uuid("upstream_task_run_ids").array().notNull().default(sql`'{}'::uuid[]`),
    /** The built-in kind (encode, pdf, cluster, train, infer) for pipeline steps, or null for code. */
    kind: text("kind"),
    requirements: jsonb("requirements").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex("task_runs_flow_run_key").on(t.flowRunId, t.taskKey, t.dynamicKey),
    index("task_runs_flow_run_idx").on(t.flowRunId, t.createdAt),
    index("task_runs_cache_idx").on(t.workspaceId, t.cacheKey),
    index("task_runs_state_idx").on(t.workspaceId, t.stateType),
  ],
);

export const stateHistory = pgTable(
  "state_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    workspaceId: workspaceRef(),
    flowRunId: uuid("flow_run_id").references(() => flowRuns.id, { onDelete: "cascade" }),
    taskRunId: uuid("task_run_id").references(() => taskRuns.id, { onDelete: "cascade" }),
    fromType: stateType("from_type"),
    fromName: text("from_name"),
    toType: stateType("to_type").notNull(),
    toName: text("to_name").notNull(),
    message: text("message"),
    /** Who made the change: `user`, `api`, `worker:<name>`, `scheduler`, `zombie-killer`, … */
    actor: text("actor").notNull(),
    createdAt: created(),
  },
  (t) => [
    index("state_history_flow_run_idx").on(t.flowRunId, t.id),
    index("state_history_task_run_idx").on(t.taskRunId, t.id),
    check("state_history_one_run_check", sql`(${t.flowRunId} IS NOT NULL) <> (${t.taskRunId} IS NOT NULL)`),
  ],
);

export const logs = pgTable(
  "logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    workspaceId: workspaceRef(),
    flowRunId: uuid("flow_run_id").references(() => flowRuns.id, { onDelete: "cascade" }),
    taskRunId: uuid("task_run_id").references(() => taskRuns.id, { onDelete: "cascade" }),
    /** Python logging levels, as Prefect: 10 debug, 20 info, 30 warning, 40 error, 50 critical. */
    level: integer("level").notNull(),
    message: text("message").notNull(),
    timestamp: ts("timestamp").notNull().defaultNow(),
    createdAt: created(),
  },
  (t) => [
    index("logs_flow_run_idx").on(t.flowRunId, t.timestamp, t.id),
    index("logs_task_run_idx").on(t.taskRunId, t.timestamp),
    index("logs_created_idx").on(t.createdAt),
  ],
);

export const artifacts = pgTable(
  "artifacts",
  {
    id: id(),
    workspaceId: workspaceRef(),
    flowRunId: uuid("flow_run_id").references(() => flowRuns.id, { onDelete: "cascade" }),
    taskRunId: uuid("task_run_id").references(() => taskRuns.id, { onDelete: "cascade" }),
    /** Artifacts with a key form a series: the latest is the current one. */
    key: text("key"),
    type: text("type").notNull(),
    description: text("description"),
    data: jsonb("data"),
    resultId: uuid("result_id").references(() => results.id, { onDelete: "set null" }),
    createdAt: created(),
  },
  (t) => [
    index("artifacts_flow_run_idx").on(t.flowRunId, t.createdAt),
    index("artifacts_key_idx").on(t.workspaceId, t.key, t.createdAt),
  ],
);

export const concurrencyLimits = pgTable(
  "concurrency_limits",
  {
    id: id(),
    workspaceId: workspaceRef(),
    tag: text("tag").notNull(),
    limit: integer("concurrency_limit").notNull(),
    createdAt: created(),
    updatedAt: updated(),
  },
  (t) => [
    uniqueIndex("concurrency_limits_workspace_tag_key").on(t.workspaceId, t.tag),
    check("concurrency_limits_limit_check", sql`${t.limit} >= 0`),
  ],
);
