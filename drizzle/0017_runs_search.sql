-- The run list's filters at 1M runs (measured with bench/runs-scale.ts; figures in BENCHMARKS.md).
-- Name search (flowRuns.list `search`, ILIKE '%…%'): a trigram index on the name. pg_trgm ships
-- with PostgreSQL's contrib (a trusted extension: the database owner may create it) and with
-- PGlite (loaded in server/db/client.ts). A rare name: 580 ms walking flow_runs_list_idx, 1 ms here.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX "flow_runs_name_trgm_idx" ON "flow_runs" USING gin ("name" gin_trgm_ops);
--> statement-breakpoint
-- By state, newest first: the state index gains (created_at, id), so a state's newest page is
-- read in order (FAILED or CRASHED: 23–30 ms walking the list index past 40k newer runs, 0.1 ms).
-- Its old prefix (workspace_id, state_type) still serves the counts by state.
DROP INDEX "flow_runs_state_idx";
--> statement-breakpoint
CREATE INDEX "flow_runs_state_idx" ON "flow_runs" USING btree ("workspace_id","state_type","created_at","id");
