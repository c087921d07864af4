-- Wake-ups for idle workers: after any statement that makes runs due (SCHEDULED) or frees a slot
-- (a run finishing) in a pool, NOTIFY baton_runs with the pool's id, once per pool per statement.
-- Servers LISTEN and wake the long-polling claimers of that pool; NOTIFY is delivered at commit
-- and identical payloads in one transaction are folded into one, so bulk inserts cost one signal.
CREATE OR REPLACE FUNCTION baton_notify_runs() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('baton_runs', pools.pool_id)
  FROM (
    SELECT DISTINCT work_pool_id::text AS pool_id FROM new_rows
    WHERE work_pool_id IS NOT NULL
      AND state_type IN ('SCHEDULED', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')
  ) AS pools;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER flow_runs_notify_insert AFTER INSERT ON flow_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_runs();
--> statement-breakpoint
CREATE TRIGGER flow_runs_notify_update AFTER UPDATE ON flow_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_runs();
