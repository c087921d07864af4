/**
 * baton_claim_flow_runs — the claim: hands a worker up to p_max due runs of its pool (optionally
 * some of its queues), each with a lease, in one call. This file is its only definition: edit the
 * SQL here and the next migrate installs it (./install.ts); the drizzle migrations that once
 * redefined it in full (0003, 0005, 0007, 0010) are history and are not to be touched. Its caller
 * is ../claim.ts.
 *
 * Contract: order is queue priority, then run priority (both lower first), then scheduled time,
 * then id; paused pools and queues give nothing; pool, queue and tag concurrency limits hold even
 * under concurrent claims; a run's requirements must be met by the worker's capabilities
 * (baton_satisfies, ./satisfies.ts). Claimed runs move to PENDING (RUNNING when p_start, for
 * workers that start at once), get the worker and a fresh lease token, and their transitions are
 * written to state history by the same statement. The set comes back unordered (../claim.ts
 * sorts it).
 *
 * Why it is shaped so:
 *
 * - A function, not a query sent from TypeScript: a claim is one round trip on all three drivers
 *   (PGlite, node-postgres, Neon over WebSockets, where a round trip is dearest), and the limit
 *   lock below needs a statement of its own before the claiming one (next point), which a single
 *   statement sent by the client cannot have.
 *
 * - Limits are counts over other rows, which FOR UPDATE SKIP LOCKED cannot protect: two claimers
 *   would both see the last free slot. So when any limit can apply in the pool, its claims take
 *   turns on a transaction-scoped advisory lock, and the claiming statement (a new statement, so
 *   a new snapshot under READ COMMITTED) sees every claim committed before the lock was granted.
 *   Claims in a pool with no limit never wait; they rely on SKIP LOCKED alone.
 *
 * - Active runs (ACTIVE_STATE_TYPES) are counted only for a pool or queue that has a limit, and
 *   each queue's due runs are read straight from the partial index flow_runs_due_idx
 *   (work_queue_id, priority, scheduled_time, id WHERE state_type = 'SCHEDULED', drizzle/0006)
 *   by a LATERAL per queue and then merged, instead of sorting all of a pool's waiting runs on
 *   every claim: claims of 10 had grown to ~12 ms once thousands of runs waited or ran. That
 *   change (d4b6a04) took claim throughput, 3,000 due runs claimed in batches of 10 straight to
 *   RUNNING (`npm run bench:engine`, BENCHMARKS.md "Claim throughput", 2 cores, PostgreSQL 15),
 *   from 832 to 6,637 runs/s with 1 worker, 1,625 to 8,604/s with 4 and 1,560 to 7,350/s with
 *   16; on PGlite from 511 to 3,530/s. Keep the claimable filter an equality on state_type
 *   (a one-element IN is one) or the partial index no longer matches.
 *
 * - Under limits some candidates are turned away after they are locked (their queue or a tag is
 *   full), so four times p_max are looked at; unlimited pools fetch exactly p_max.
 *
 * - The worker must be live: a worker that said goodbye (stopped_at, drizzle/0007) gets nothing,
 *   even from a long-polling claim that was already waiting when it left, and so does one whose
 *   last heartbeat is older than the server's worker timeout (p_worker_timeout_ms,
 *   BATON_WORKER_TIMEOUT_S; drizzle/0010). Either would have its runs crashed by the zombie
 *   killer while their bodies ran on: executed twice. Its next heartbeat makes it eligible again.
 *   The worker row is share-locked first, so a goodbye (an UPDATE of that row, ../workers.ts)
 *   either waits for a claim in flight to commit and then returns to the queue what the worker
 *   never received, or commits first and this claim's next statement sees stopped_at. Without
 *   the lock a claim begun just before the goodbye could grant a run nobody would ever start.
 *
 * - GPUs are slots: a worker whose capabilities count its GPUs (`gpus`: N > 0, from nvidia-smi
 *   or BATON_WORKER_CAPABILITIES) holds at most N active runs that require a GPU
 *   (`requirements.gpu = true`); the worker gives each one GPU of its own (CUDA_VISIBLE_DEVICES,
 *   workers/node/gpu-slots.ts). The rest wait SCHEDULED for this worker's next claim or another
 *   worker, instead of queueing inside a worker that has no GPU free. Counted only for workers
 *   that report a GPU count, over that worker's own runs: CPU workers pay nothing. A worker's
 *   claims come one at a time from its loop, so the count is not raced by itself.
 *
 * The state sets are interpolated from ../state-types.ts, the one place they are spelled.
 */
import { ACTIVE_STATE_TYPES, CLAIMABLE_STATE_TYPES } from "../state-types";
import { stateList, stateLiteral, type EngineFunction } from "./engine-function";

const active = stateList(ACTIVE_STATE_TYPES);
const claimable = stateList(CLAIMABLE_STATE_TYPES);

export const claimFlowRunsFunction: EngineFunction = {
  signature: "baton_claim_flow_runs(uuid, uuid, uuid[], uuid, integer, jsonb, boolean, text, bigint)",
  source: "server/engine/sql/claim-flow-runs.ts",
  // Before the worker-timeout argument (drizzle/0010) the claim had eight arguments.
  replaces: ["baton_claim_flow_runs(uuid, uuid, uuid[], uuid, integer, jsonb, boolean, text)"],
  definition: `CREATE OR REPLACE FUNCTION baton_claim_flow_runs(
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
-- Source: server/engine/sql/claim-flow-runs.ts (the reasons and figures behind this shape are there).
DECLARE
  v_limited boolean;
  v_fetch integer;
  v_gpu_free integer;
BEGIN
  -- Any limit in this pool: claims take turns, so the counts below cannot be raced.
  SELECT p.concurrency_limit IS NOT NULL
      OR EXISTS (SELECT 1 FROM work_queues q WHERE q.work_pool_id = p.id AND q.concurrency_limit IS NOT NULL)
      OR EXISTS (SELECT 1 FROM concurrency_limits c WHERE c.workspace_id = p.workspace_id)
    INTO v_limited
    FROM work_pools p WHERE p.id = p_pool_id;
  IF v_limited THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('baton.claim:' || p_pool_id::text, 0));
  END IF;
  v_fetch := CASE WHEN v_limited THEN p_max * 4 ELSE p_max END;
  -- The worker row, share-locked: a goodbye waits for this claim and then sees what it granted.
  PERFORM 1 FROM workers w WHERE w.id = p_worker_id FOR SHARE;
  -- GPUs as slots: a worker that counts its GPUs runs at most that many GPU runs at once.
  IF jsonb_typeof(p_capabilities -> 'gpus') = 'number' AND (p_capabilities ->> 'gpus')::numeric >= 1 THEN
    SELECT floor((p_capabilities ->> 'gpus')::numeric)::integer - count(*)::integer INTO v_gpu_free
    FROM flow_runs a
    WHERE a.worker_id = p_worker_id AND a.state_type IN (${active}) AND a.requirements -> 'gpu' = 'true'::jsonb;
    -- Some candidates may be turned away for want of a GPU: look further, as under limits.
    v_fetch := p_max * 4;
  END IF;

  RETURN QUERY
  WITH pool AS (
    SELECT p.id,
      CASE WHEN p.concurrency_limit IS NULL THEN NULL ELSE p.concurrency_limit - (
        SELECT count(*) FROM flow_runs a
        WHERE a.work_pool_id = p.id AND a.state_type IN (${active})
      ) END AS free
    FROM work_pools p
    WHERE p.id = p_pool_id AND p.workspace_id = p_workspace_id AND NOT p.paused
      -- Only a live worker: not gone, and heard from within the worker timeout.
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
        WHERE a.work_queue_id = q.id AND a.state_type IN (${active})
      ) END AS free
    FROM work_queues q JOIN pool ON q.work_pool_id = pool.id
    WHERE NOT q.paused AND (p_queue_ids IS NULL OR q.id = ANY (p_queue_ids))
  ),
  candidate AS (
    -- Each queue's first due runs straight from flow_runs_due_idx, then merged in priority order.
    SELECT c.id, c.state_type, c.state_name, c.tags, c.work_queue_id, q.priority AS queue_priority, c.priority, c.scheduled_time, c.needs_gpu
    FROM queue q
    CROSS JOIN LATERAL (
      SELECT r.id, r.state_type, r.state_name, r.tags, r.work_queue_id, r.priority, r.scheduled_time,
        coalesce(r.requirements -> 'gpu' = 'true'::jsonb, false) AS needs_gpu
      FROM flow_runs r
      WHERE r.work_queue_id = q.id
        AND r.state_type IN (${claimable})
        AND r.scheduled_time <= now()
        AND baton_satisfies(r.requirements, p_capabilities)
        -- Every GPU busy: GPU runs are not even candidates, so CPU runs behind them still come.
        AND (v_gpu_free IS NULL OR v_gpu_free > 0 OR r.requirements -> 'gpu' IS DISTINCT FROM 'true'::jsonb)
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
      row_number() OVER (PARTITION BY c.work_queue_id ORDER BY c.priority, c.scheduled_time, c.id) AS n_in_queue,
      row_number() OVER (PARTITION BY c.needs_gpu ORDER BY c.queue_priority, c.priority, c.scheduled_time, c.id) AS n_of_kind
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
        AND a.state_type IN (${active})
        AND a.tags @> ARRAY[x.tag]
    )
  ),
  chosen AS (
    SELECT rk.id, rk.state_type, rk.state_name FROM ranked rk JOIN queue q ON q.id = rk.work_queue_id
    WHERE (q.free IS NULL OR rk.n_in_queue <= q.free)
      AND rk.id NOT IN (SELECT o.id FROM over_tag_limit o)
      AND (NOT rk.needs_gpu OR v_gpu_free IS NULL OR rk.n_of_kind <= v_gpu_free)
    ORDER BY rk.n_overall
    LIMIT greatest(0, least(p_max, coalesce((SELECT pool.free FROM pool), p_max)))
  ),
  claimed AS (
    UPDATE flow_runs r SET
      state_type = (CASE WHEN p_start THEN ${stateLiteral("RUNNING")} ELSE ${stateLiteral("PENDING")} END)::state_type,
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
    SELECT cl.workspace_id, cl.id, c.state_type, c.state_name, cl.state_type, cl.state_name, p_actor, now()
    FROM claimed cl JOIN chosen c ON c.id = cl.id
  )
  SELECT cl.* FROM claimed cl;
END
$fn$`,
};
