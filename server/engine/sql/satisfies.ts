/**
 * baton_satisfies(req, caps) — whether a worker offering capabilities `caps` may run work that
 * requires `req`; the claim filters candidates with it (./claim-flow-runs.ts). This file is its
 * only definition (first created by drizzle/0003, which is history now); ../diagnose.ts has the
 * same rule in TypeScript to explain a run that waits.
 *
 *   {"gpu": true}     the worker must say gpu: true, or a GPU count above 0;
 *   {"memoryGb": 16}  the worker's number must be at least the required one;
 *   {"runtime": "x"}  the worker's value must be equal.
 *
 * Plain SQL and IMMUTABLE, so the planner may inline it into the claim's per-queue scan; an empty
 * requirement (most runs) is decided by the first comparison.
 */
import type { EngineFunction } from "./engine-function";

export const satisfiesFunction: EngineFunction = {
  signature: "baton_satisfies(jsonb, jsonb)",
  source: "server/engine/sql/satisfies.ts",
  definition: `CREATE OR REPLACE FUNCTION baton_satisfies(req jsonb, caps jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT req = '{}'::jsonb OR NOT EXISTS (
    SELECT 1 FROM jsonb_each(req) AS e(key, value)
    WHERE NOT coalesce(
      CASE jsonb_typeof(e.value)
        WHEN 'boolean' THEN
          e.value = 'false'::jsonb
          OR caps -> e.key = 'true'::jsonb
          OR (jsonb_typeof(caps -> e.key) = 'number' AND (caps ->> e.key)::numeric > 0)
        WHEN 'number' THEN
          jsonb_typeof(caps -> e.key) = 'number' AND (caps ->> e.key)::numeric >= (e.value #>> '{}')::numeric
        ELSE caps -> e.key = e.value
      END, false)
  )
$fn$`,
};
