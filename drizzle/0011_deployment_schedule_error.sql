ALTER TABLE "deployments" ADD COLUMN "schedule_error" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "schedule_error_at" timestamp with time zone;