ALTER TABLE "deployment_schedules" ADD COLUMN "catchup" text DEFAULT 'skip' NOT NULL;--> statement-breakpoint
ALTER TABLE "deployment_schedules" ADD COLUMN "materialised_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "worker_id" uuid;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "lease_token" uuid;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "retry_backoff" double precision DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "retry_jitter" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "timeout_seconds" double precision;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "lazarus_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "auto_scheduled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "stopped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_worker_id_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."workers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "flow_runs_queue_state_idx" ON "flow_runs" USING btree ("work_queue_id","state_type");--> statement-breakpoint
CREATE INDEX "flow_runs_worker_idx" ON "flow_runs" USING btree ("worker_id","state_type");--> statement-breakpoint
CREATE INDEX "flow_runs_tags_idx" ON "flow_runs" USING gin ("tags");