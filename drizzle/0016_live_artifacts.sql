-- Live updates for artifacts (metrics arrive as artifacts): the same trigger function as
-- 0013_live_changes.sql (server/engine/sql/notify-changes.ts, re-installed at every migrate, now
-- naming artifact changes "artifact").
CREATE TRIGGER artifacts_live_insert AFTER INSERT ON artifacts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
--> statement-breakpoint
CREATE TRIGGER artifacts_live_update AFTER UPDATE ON artifacts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION baton_notify_changes();
