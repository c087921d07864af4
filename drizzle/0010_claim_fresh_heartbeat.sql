-- The claim once more (issue 10): a claim is granted only to a worker whose heartbeat is fresh,
-- i.e. newer than the worker timeout, which the caller passes in (p_worker_timeout_ms, the
-- server's BATON_WORKER_TIMEOUT_S). Before, only stopped_at was checked, so a worker whose
-- heartbeats had not landed (the server was down, the network cut) was still handed runs,
-- and the zombie killer crashed them moments later while their bodies ran on: executed twice.
-- A refused worker gets an empty claim; its next heartbeat (heartbeatWorker sets
-- last_heartbeat_at) makes it eligible again.
-- This is 0007's function with only that check and the new argument added, kept minimal on
-- purpose: issue 11 consolidates the claim function into one source, and a small diff here is
-- what that work has to carry over. The old 8-argument version is dropped so that nothing can
-- still claim without the check.
DROP FUNCTION IF EXISTS baton_claim_flow_runs(uuid, uuid, uuid[], uuid, integer, jsonb, boolean, text);
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
  p_actor text,
  p_worker_timeout_ms bigint
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
      CASE WHEN p.concurrency_limit IS NULL THEN NULL ELSE p.concurrency_limit - (
        SELECT count(*) FROM flow_runs a
        WHERE a.work_pool_id = p.id AND a.state_type IN ('PENDING', 'RUNNING', 'CANCELLING')
      ) END AS free
    FROM work_pools p
    WHERE p.id = p_pool_id AND p.workspace_id = p_workspace_id AND NOT p.paused
      -- A worker that said goodbye gets nothing, even from a claim that was already waiting;
      -- nor does one the zombie killer would judge gone: its heartbeat must be fresh.
      AND EXISTS (
        SELECT 1 FROM workers w
        WHERE w.id = p_worker_id AND w.stopped_at IS NULL
          AND w.last_heartbeat_at > now() - p_worker_timeout_ms * interval '1 millisecond'
      )
  ),
  queue AS (
    SELECT q.id, q.priority,
      CASE WHEN q.concurrency_limit IS NULL THEN NULL ELSE q.concurrency_limit - (
        SELECT count(*) FROM flow_runs a
        WHERE a.work_queue_id = q.id AND a.state_type IN ('PENDING', 'RUNNING', 'CANCELLING')
      ) END AS free
    FROM work_queues q JOIN pool ON q.work_pool_id = pool.id
    WHERE NOT q.paused AND (p_queue_ids IS NULL OR q.id = ANY (p_queue_ids))
  ),
  candidate AS (
    -- Each queue's first due runs straight from its index, then merged in priority order:
    -- sorting all of a pool's waiting runs on every claim made claims slow as queues grew.
    SELECT c.id, c.state_name, c.tags, c.work_queue_id, q.priority AS queue_priority, c.priority, c.scheduled_time
    FROM queue q
    CROSS JOIN LATERAL (
      SELECT r.id, r.state_name, r.tags, r.work_queue_id, r.priority, r.scheduled_time
      FROM flow_runs r
      WHERE r.work_queue_id = q.id
        AND r.state_type = 'SCHEDULED'
        AND r.scheduled_time <= now()
        AND baton_satisfies(r.requirements, p_capabilities)
      ORDER BY r.priority, r.scheduled_time, r.id
      LIMIT v_fetch
      FOR UPDATE OF r SKIP LOCKED
    ) c
    WHERE q.free IS NULL OR q.free > 0
    ORDER BY q.priority, c.priority, c.scheduled_time, c.id
    LIMIT v_fetch
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
