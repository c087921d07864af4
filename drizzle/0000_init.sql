CREATE TYPE "public"."state_type" AS ENUM('SCHEDULED', 'PENDING', 'RUNNING', 'PAUSED', 'CANCELLING', 'CANCELLED', 'COMPLETED', 'FAILED', 'CRASHED');--> statement-breakpoint
CREATE TYPE "public"."work_pool_type" AS ENUM('browser', 'node', 'process');--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_run_id" uuid,
	"task_run_id" uuid,
	"key" text,
	"type" text NOT NULL,
	"description" text,
	"data" jsonb,
	"result_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "concurrency_limits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"tag" text NOT NULL,
	"concurrency_limit" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "concurrency_limits_limit_check" CHECK ("concurrency_limits"."concurrency_limit" >= 0)
);
--> statement-breakpoint
CREATE TABLE "deployment_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"deployment_id" uuid NOT NULL,
	"cron" text,
	"interval_seconds" integer,
	"anchor_date" timestamp with time zone,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deployment_schedules_kind_check" CHECK (("deployment_schedules"."cron" IS NOT NULL) <> ("deployment_schedules"."interval_seconds" IS NOT NULL)),
	CONSTRAINT "deployment_schedules_interval_check" CHECK ("deployment_schedules"."interval_seconds" IS NULL OR "deployment_schedules"."interval_seconds" > 0)
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" text,
	"description" text,
	"entrypoint" text,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"parameter_schema" jsonb,
	"enforce_parameter_schema" boolean DEFAULT true NOT NULL,
	"work_pool_id" uuid,
	"work_queue_id" uuid,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flow_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"state_type" "state_type" NOT NULL,
	"state_name" text NOT NULL,
	"state_message" text,
	"state_version" integer DEFAULT 0 NOT NULL,
	"state_timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"scheduled_time" timestamp with time zone DEFAULT now() NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"run_count" integer DEFAULT 0 NOT NULL,
	"max_retries" integer DEFAULT 0 NOT NULL,
	"retry_delay_seconds" double precision DEFAULT 0 NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result_id" uuid,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"flow_id" uuid NOT NULL,
	"deployment_id" uuid,
	"work_pool_id" uuid,
	"work_queue_id" uuid,
	"parent_flow_run_id" uuid,
	"parent_task_run_id" uuid,
	"requirements" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"idempotency_key" text,
	"created_by" text
);
--> statement-breakpoint
CREATE TABLE "flows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_run_id" uuid,
	"task_run_id" uuid,
	"level" integer NOT NULL,
	"message" text NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"storage" text NOT NULL,
	"value" jsonb,
	"blob_key" text,
	"media_type" text,
	"size_bytes" bigint,
	"sha256" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "state_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"flow_run_id" uuid,
	"task_run_id" uuid,
	"from_type" "state_type",
	"from_name" text,
	"to_type" "state_type" NOT NULL,
	"to_name" text NOT NULL,
	"message" text,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "state_history_one_run_check" CHECK (("state_history"."flow_run_id" IS NOT NULL) <> ("state_history"."task_run_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "task_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"state_type" "state_type" NOT NULL,
	"state_name" text NOT NULL,
	"state_message" text,
	"state_version" integer DEFAULT 0 NOT NULL,
	"state_timestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"scheduled_time" timestamp with time zone DEFAULT now() NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"run_count" integer DEFAULT 0 NOT NULL,
	"max_retries" integer DEFAULT 0 NOT NULL,
	"retry_delay_seconds" double precision DEFAULT 0 NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result_id" uuid,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"flow_run_id" uuid NOT NULL,
	"task_key" text NOT NULL,
	"dynamic_key" text DEFAULT '0' NOT NULL,
	"cache_key" text,
	"cache_expires_at" timestamp with time zone,
	"upstream_task_run_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"kind" text,
	"requirements" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "work_pools" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" "work_pool_type" NOT NULL,
	"description" text,
	"paused" boolean DEFAULT false NOT NULL,
	"concurrency_limit" integer,
	"base_job_template" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "work_pools_concurrency_limit_check" CHECK ("work_pools"."concurrency_limit" IS NULL OR "work_pools"."concurrency_limit" >= 0)
);
--> statement-breakpoint
CREATE TABLE "work_queues" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"work_pool_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"priority" integer DEFAULT 1 NOT NULL,
	"concurrency_limit" integer,
	"paused" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "work_queues_concurrency_limit_check" CHECK ("work_queues"."concurrency_limit" IS NULL OR "work_queues"."concurrency_limit" >= 0)
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"work_pool_id" uuid NOT NULL,
	"name" text NOT NULL,
	"capabilities" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspaces_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_flow_run_id_flow_runs_id_fk" FOREIGN KEY ("flow_run_id") REFERENCES "public"."flow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_task_run_id_task_runs_id_fk" FOREIGN KEY ("task_run_id") REFERENCES "public"."task_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "concurrency_limits" ADD CONSTRAINT "concurrency_limits_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_schedules" ADD CONSTRAINT "deployment_schedules_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployment_schedules" ADD CONSTRAINT "deployment_schedules_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_work_pool_id_work_pools_id_fk" FOREIGN KEY ("work_pool_id") REFERENCES "public"."work_pools"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_work_queue_id_work_queues_id_fk" FOREIGN KEY ("work_queue_id") REFERENCES "public"."work_queues"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_work_pool_id_work_pools_id_fk" FOREIGN KEY ("work_pool_id") REFERENCES "public"."work_pools"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_work_queue_id_work_queues_id_fk" FOREIGN KEY ("work_queue_id") REFERENCES "public"."work_queues"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flows" ADD CONSTRAINT "flows_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logs" ADD CONSTRAINT "logs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logs" ADD CONSTRAINT "logs_flow_run_id_flow_runs_id_fk" FOREIGN KEY ("flow_run_id") REFERENCES "public"."flow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logs" ADD CONSTRAINT "logs_task_run_id_task_runs_id_fk" FOREIGN KEY ("task_run_id") REFERENCES "public"."task_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "state_history" ADD CONSTRAINT "state_history_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "state_history" ADD CONSTRAINT "state_history_flow_run_id_flow_runs_id_fk" FOREIGN KEY ("flow_run_id") REFERENCES "public"."flow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "state_history" ADD CONSTRAINT "state_history_task_run_id_task_runs_id_fk" FOREIGN KEY ("task_run_id") REFERENCES "public"."task_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_runs" ADD CONSTRAINT "task_runs_flow_run_id_flow_runs_id_fk" FOREIGN KEY ("flow_run_id") REFERENCES "public"."flow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_pools" ADD CONSTRAINT "work_pools_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_queues" ADD CONSTRAINT "work_queues_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_queues" ADD CONSTRAINT "work_queues_work_pool_id_work_pools_id_fk" FOREIGN KEY ("work_pool_id") REFERENCES "public"."work_pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_work_pool_id_work_pools_id_fk" FOREIGN KEY ("work_pool_id") REFERENCES "public"."work_pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifacts_flow_run_idx" ON "artifacts" USING btree ("flow_run_id","created_at");--> statement-breakpoint
CREATE INDEX "artifacts_key_idx" ON "artifacts" USING btree ("workspace_id","key","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "concurrency_limits_workspace_tag_key" ON "concurrency_limits" USING btree ("workspace_id","tag");--> statement-breakpoint
CREATE INDEX "deployment_schedules_deployment_idx" ON "deployment_schedules" USING btree ("deployment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deployments_flow_name_key" ON "deployments" USING btree ("flow_id","name");--> statement-breakpoint
CREATE INDEX "deployments_workspace_idx" ON "deployments" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "deployments_work_pool_idx" ON "deployments" USING btree ("work_pool_id");--> statement-breakpoint
CREATE UNIQUE INDEX "flow_runs_flow_idempotency_key" ON "flow_runs" USING btree ("flow_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "flow_runs_claim_idx" ON "flow_runs" USING btree ("work_pool_id","state_type","priority","scheduled_time");--> statement-breakpoint
CREATE INDEX "flow_runs_list_idx" ON "flow_runs" USING btree ("workspace_id","created_at","id");--> statement-breakpoint
CREATE INDEX "flow_runs_deployment_idx" ON "flow_runs" USING btree ("deployment_id","scheduled_time");--> statement-breakpoint
CREATE INDEX "flow_runs_flow_idx" ON "flow_runs" USING btree ("flow_id","created_at");--> statement-breakpoint
CREATE INDEX "flow_runs_parent_idx" ON "flow_runs" USING btree ("parent_flow_run_id");--> statement-breakpoint
CREATE INDEX "flow_runs_state_idx" ON "flow_runs" USING btree ("workspace_id","state_type");--> statement-breakpoint
CREATE UNIQUE INDEX "flows_workspace_name_key" ON "flows" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE INDEX "logs_flow_run_idx" ON "logs" USING btree ("flow_run_id","timestamp","id");--> statement-breakpoint
CREATE INDEX "logs_task_run_idx" ON "logs" USING btree ("task_run_id","timestamp");--> statement-breakpoint
CREATE INDEX "logs_created_idx" ON "logs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "state_history_flow_run_idx" ON "state_history" USING btree ("flow_run_id","id");--> statement-breakpoint
CREATE INDEX "state_history_task_run_idx" ON "state_history" USING btree ("task_run_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_runs_flow_run_key" ON "task_runs" USING btree ("flow_run_id","task_key","dynamic_key");--> statement-breakpoint
CREATE INDEX "task_runs_flow_run_idx" ON "task_runs" USING btree ("flow_run_id","created_at");--> statement-breakpoint
CREATE INDEX "task_runs_cache_idx" ON "task_runs" USING btree ("workspace_id","cache_key");--> statement-breakpoint
CREATE INDEX "task_runs_state_idx" ON "task_runs" USING btree ("workspace_id","state_type");--> statement-breakpoint
CREATE UNIQUE INDEX "work_pools_workspace_name_key" ON "work_pools" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "work_queues_pool_name_key" ON "work_queues" USING btree ("work_pool_id","name");--> statement-breakpoint
CREATE INDEX "work_queues_pool_priority_idx" ON "work_queues" USING btree ("work_pool_id","priority");--> statement-breakpoint
CREATE UNIQUE INDEX "workers_pool_name_key" ON "workers" USING btree ("work_pool_id","name");