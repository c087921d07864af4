/**
 * baton_notify_runs() — the wake-up trigger function: after any statement on flow_runs that makes
 * runs due or frees a slot in a pool (a row entering a WAKING_STATE_TYPES state: claimable or
 * terminal), NOTIFY baton_runs with the pool's id, once per pool per statement. Servers LISTEN
 * (../signals.ts) and wake that pool's long-polling claimers. This file is its only definition
 * (first created by drizzle/0004, which also created the statement triggers that call it and is
 * history now).
 *
 * Why so: a statement-level trigger with a transition table costs one pass per statement, not
 * one call per row, so a bulk insert of 1,000 runs sends one NOTIFY; NOTIFY is delivered at
 * commit and identical payloads in one transaction are folded into one. The wake-up it gives is
 * BENCHMARKS.md's "Created-to-RUNNING latency, idle long-polling worker" (p50 3.6 ms in-process,
 * 4.2 ms over HTTP, on PostgreSQL; 2 cores).
 */
import { WAKING_STATE_TYPES } from "../state-types";
import { stateList, type EngineFunction } from "./engine-function";

export const notifyRunsFunction: EngineFunction = {
  signature: "baton_notify_runs()",
  source: "server/engine/sql/notify-runs.ts",
  definition: `CREATE OR REPLACE FUNCTION baton_notify_runs() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('baton_runs', pools.pool_id)
  FROM (
    SELECT DISTINCT work_pool_id::text AS pool_id FROM new_rows
    WHERE work_pool_id IS NOT NULL
      AND state_type IN (${stateList(WAKING_STATE_TYPES)})
  ) AS pools;
  RETURN NULL;
END
$fn$`,
};
