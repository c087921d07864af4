CREATE TABLE "code_bundles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"version" text NOT NULL,
	"source" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"dependencies" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "code_bundle_id" uuid;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "code_version" text;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "code_bundle_id" uuid;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD COLUMN "code_version" text;--> statement-breakpoint
ALTER TABLE "code_bundles" ADD CONSTRAINT "code_bundles_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "code_bundles_workspace_version_key" ON "code_bundles" USING btree ("workspace_id","version");--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_code_bundle_id_code_bundles_id_fk" FOREIGN KEY ("code_bundle_id") REFERENCES "public"."code_bundles"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flow_runs" ADD CONSTRAINT "flow_runs_code_bundle_id_code_bundles_id_fk" FOREIGN KEY ("code_bundle_id") REFERENCES "public"."code_bundles"("id") ON DELETE set null ON UPDATE no action;