-- The run list's name search (ILIKE '%…%', drizzle/0017) is planned from the name column's
-- statistics: with the default 100, the estimate for '%fox%' at 1M runs (truly 14,700, 1.5 %)
-- moved with each ANALYZE's sample, as low as 1,028; when it was low the planner sorted all the
-- matches (167 ms p50 over HTTP) instead of walking the list index newest first (16 ms). At 1000
-- the estimate held (2,508 against 2,380 for fox in one flow). ANALYZE of flow_runs then samples
-- 300,000 rows instead of 30,000 (bench/runs-scale.ts reports how long that takes).
ALTER TABLE "flow_runs" ALTER COLUMN "name" SET STATISTICS 1000;
--> statement-breakpoint
ANALYZE "flow_runs" ("name");
