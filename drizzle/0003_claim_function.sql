-- Baton's claim: one call hands a worker the next runs of its pool, with a lease.
-- It lives in the database so a claim is one round trip on every driver (PGlite, pg, Neon).

-- Whether a worker offering `caps` may run work that `req` requires.
--   {"gpu": true}     the worker must say gpu: true, or a GPU count above 0;
--   {"memoryGb": 16}  the worker's number must be at least the required one;
--   {"runtime": "x"}  the worker's value must be equal.
CREATE OR REPLACE FUNCTION baton_satisfies(req jsonb, caps jsonb) RETURNS boolean
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
$fn$;
--> statement-breakpoint

-- Claims up to p_max due runs of one pool (optionally some of its queues) for a worker.
-- Order: queue priority, then run priority (both lower first), then scheduled time.
-- Honours paused pools and queues, pool/queue/tag concurrency limits and the worker's capabilities.
-- Claimed runs move to PENDING (or RUNNING when p_start), get the worker and a fresh lease token,
-- and their transitions are written to state history in the same statement.
CREATE OR REPLACE FUNCTION baton_claim_flow_runs(
  p_workspace_id uuid,
  p_pool_id uuid,
  p_queue_ids uuid[],
  p_worker_id uuid,
  p_max integer,
  p_capabilities jsonb,
  p_start boolean,
  p_actor text
) RETURNS SETOF flow_runs
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_limited boolean;
  v_fetch integer;
BEGIN
  -- Limits are counts over other rows, which SKIP LOCKED cannot protect: two claimers could both
  -- see the last free slot. So when any limit can apply in this pool, its claims take turns on a
  -- transaction-scoped advisory lock, and the claim below (a new statement, so a new snapshot)
  -- sees every claim committed before the lock was granted. Claims in unlimited pools never wait.
  SELECT p.concurrency_limit IS NOT NULL
      OR EXISTS (SELECT 1 FROM work_queues q WHERE q.work_pool_id = p.id AND q.concurrency_limit IS NOT NULL)
      OR EXISTS (SELECT 1 FROM concurrency_limits c WHERE c.workspace_id = p.workspace_id)
    INTO v_limited
    FROM work_pools p WHERE p.id = p_pool_id;
  IF v_limited THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('baton.claim:' || p_pool_id::text, 0));
  END IF;
  -- Under limits some candidates are turned away after locking, so look at a few more than asked.
  v_fetch := CASE WHEN v_limited THEN p_max * 4 ELSE p_max END;

  RETURN QUERY
  WITH pool AS (
    SELECT p.id,
      p.concurrency_limit - (
        SELECT count(*) FROM flow_runs a
        WHERE a.work_pool_id = p.id AND a.state_type IN ('PENDING', 'RUNNING', 'CANCELLING')
      ) AS free
    FROM work_pools p
    WHERE p.id = p_pool_id AND p.workspace_id = p_workspace_id AND NOT p.paused
  ),
  queue AS (
    SELECT q.id, q.priority,
      q.concurrency_limit - (
        SELECT count(*) FROM flow_runs a
        WHERE a.work_queue_id = q.id AND a.state_type IN ('PENDING', 'RUNNING', 'CANCELLING')
      ) AS free
    FROM work_queues q JOIN pool ON q.work_pool_id = pool.id
    WHERE NOT q.paused AND (p_queue_ids IS NULL OR q.id = ANY (p_queue_ids))
  ),
  candidate AS (
    SELECT r.id, r.state_name, r.tags, r.work_queue_id, q.priority AS queue_priority, r.priority, r.scheduled_time
    FROM flow_runs r JOIN queue q ON q.id = r.work_queue_id
    WHERE r.work_pool_id = p_pool_id
      AND r.state_type = 'SCHEDULED'
      AND r.scheduled_time <= now()
      AND (q.free IS NULL OR q.free > 0)
      AND baton_satisfies(r.requirements, p_capabilities)
    ORDER BY q.priority, r.priority, r.scheduled_time, r.id
    LIMIT v_fetch
    FOR UPDATE OF r SKIP LOCKED
  ),
  ranked AS (
    SELECT c.*,
      row_number() OVER (ORDER BY c.queue_priority, c.priority, c.scheduled_time, c.id) AS n_overall,
      row_number() OVER (PARTITION BY c.work_queue_id ORDER BY c.priority, c.scheduled_time, c.id) AS n_in_queue
    FROM candidate c
  ),
  over_tag_limit AS (
    -- A candidate that would take one of its tags past that tag's limit stays queued.
    SELECT DISTINCT x.id FROM (
      SELECT rk.id, t.tag, l.concurrency_limit AS lim,
        row_number() OVER (PARTITION BY t.tag ORDER BY rk.n_overall) AS n_tag
      FROM ranked rk
      CROSS JOIN LATERAL unnest(rk.tags) AS t(tag)
      JOIN concurrency_limits l ON l.workspace_id = p_workspace_id AND l.tag = t.tag
    ) x
    WHERE x.n_tag > x.lim - (
      SELECT count(*) FROM flow_runs a
      WHERE a.workspace_id = p_workspace_id
        AND a.state_type IN ('PENDING', 'RUNNING', 'CANCELLING')
        AND a.tags @> ARRAY[x.tag]
    )
  ),
  chosen AS (
    SELECT rk.id, rk.state_name FROM ranked rk JOIN queue q ON q.id = rk.work_queue_id
    WHERE (q.free IS NULL OR rk.n_in_queue <= q.free)
      AND rk.id NOT IN (SELECT o.id FROM over_tag_limit o)
    ORDER BY rk.n_overall
    LIMIT greatest(0, least(p_max, coalesce((SELECT pool.free FROM pool), p_max)))
  ),
  claimed AS (
    UPDATE flow_runs r SET
      state_type = (CASE WHEN p_start THEN 'RUNNING' ELSE 'PENDING' END)::state_type,
      state_name = CASE WHEN NOT p_start THEN 'Pending' WHEN r.run_count > 0 THEN 'Retrying' ELSE 'Running' END,
      state_message = NULL,
      state_version = r.state_version + 1,
      state_timestamp = now(),
      updated_at = now(),
      run_count = r.run_count + (CASE WHEN p_start THEN 1 ELSE 0 END),
      start_time = CASE WHEN p_start THEN coalesce(r.start_time, now()) ELSE r.start_time END,
      worker_id = p_worker_id,
      lease_token = gen_random_uuid()
    FROM chosen c
    WHERE r.id = c.id
    RETURNING r.*
  ),
  history AS (
    INSERT INTO state_history (workspace_id, flow_run_id, from_type, from_name, to_type, to_name, actor, created_at)
    SELECT cl.workspace_id, cl.id, 'SCHEDULED', c.state_name, cl.state_type, cl.state_name, p_actor, now()
    FROM claimed cl JOIN chosen c ON c.id = cl.id
  )
  SELECT cl.* FROM claimed cl;
END
$fn$;
