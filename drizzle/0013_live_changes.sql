-- Live updates: after any statement that writes flow runs, task runs or log lines, NOTIFY
-- baton_changes with the workspace and the flow runs it touched (server/engine/sql/notify-changes.ts
-- owns the function and says why it is shaped so; it is re-installed from there at every migrate,
-- so the copy below is only the first version, needed here because the triggers name it).
CREATE OR REPLACE FUNCTION baton_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_TABLE_NAME = 'flow_runs' THEN
    PERFORM pg_notify('baton_changes', json_build_object('k', 'run', 'w', g.ws, 'r', CASE WHEN g.n <= 50 THEN g.ids END)::text)
    FROM (SELECT workspace_id::text AS ws, count(DISTINCT id) AS n, (array_agg(DISTINCT id::text))[1:50] AS ids
          FROM new_rows GROUP BY workspace_id) AS g;
  ELSE
    PERFORM pg_notify('baton_changes', json_build_object('k', CASE TG_TABLE_NAME WHEN 'task_runs' THEN 'task' ELSE 'log' END, 'w', g.ws, 'r', CASE WHEN g.n <= 50 THEN g.ids END)::text)
    FROM (SELECT workspace_id::text AS ws, count(DISTINCT flow_run_id) AS n, (array_agg(DISTINCT flow_run_id::text))[1:50] AS ids
          FROM new_rows WHERE flow_run_id IS NOT NULL GROUP BY workspace_id) AS g;
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER flow_runs_live_insert AFTER INSERT ON flow_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
--> statement-breakpoint
CREATE TRIGGER flow_runs_live_update AFTER UPDATE ON flow_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
--> statement-breakpoint
CREATE TRIGGER task_runs_live_insert AFTER INSERT ON task_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
--> statement-breakpoint
CREATE TRIGGER task_runs_live_update AFTER UPDATE ON task_runs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
--> statement-breakpoint
CREATE TRIGGER logs_live_insert AFTER INSERT ON logs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
