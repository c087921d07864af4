/**
 * Every write a worker makes about a run it holds carries its lease, over the real HTTP API with
 * auth on and a pool-scoped worker key: task runs (create and state), flow-run states, logs,
 * results (tRPC, inline with a state, the streamed upload), artifacts and subflow runs. A stale
 * token is refused (LEASE_LOST) and writes nothing; no token from the worker key on a held run
 * is refused (LEASE_HELD); the right token is taken. A subflow's writes carry its top-level
 * run's lease and are checked against that run. Members change a held run through cancel.
 */
import { TRPCClientError } from "@trpc/client";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { artifacts, flowRuns, logs, results, taskRuns } from "../../drizzle/schema";
import { TEST_ORIGIN, useAuthApi } from "../helpers/auth";

const STALE = "00000000-0000-4000-8000-00000000beef";

describe("leases on every write about a run", () => {
  const api = useAuthApi();

  async function refusal(p: Promise<unknown>): Promise<{ code: string; reason: string | null; message: string }> {
    const err = await p.then(() => new Error("expected the call to be refused"), (e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<never>).data as { code?: string; reason?: string | null } | undefined;
    return { code: data?.code ?? "UNKNOWN", reason: data?.reason ?? null, message: (err as Error).message };
  }
  const rows = async (table: typeof logs | typeof artifacts | typeof results | typeof taskRuns | typeof flowRuns) =>
    (await api.db.select({ n: count() }).from(table))[0]!.n;

  let signedUp: Awaited<ReturnType<typeof api.signUpFirstOwner>> | undefined;

  /** The owner, a pool of its own, a run claimed by a worker registered with a key for that pool. */
  async function setup(pool: string) {
    const owner = (signedUp ??= await api.signUpFirstOwner());
    await owner.client.workPools.create.mutate({ name: pool, type: "node" });
    await owner.client.flows.create.mutate({ name: `train-${pool}` });
    await owner.client.deployments.create.mutate({ flow: `train-${pool}`, name: "d", workPool: pool, entrypoint: "kind:encode", parameters: { texts: ["a", "b", "c"] } });
    const key = (await owner.client.apiKeys.create.mutate({ name: `${pool}-worker`, role: "worker", workPools: [pool] })).key;
    const worker = api.as({ authorization: `Bearer ${key}` });
    const made = await owner.client.deployments.run.mutate({ deployment: `train-${pool}/d` });
    const reg = await worker.client.workers.register.mutate({ workPool: pool, name: "w1" });
    const [run] = await worker.client.workers.claim.mutate({ workerId: reg.workerId, start: true });
    expect(run!.id).toBe(made.id);
    return { owner, worker, key, run: run!, token: run!.leaseToken };
  }

  it("task runs, flow-run states, logs, results and artifacts: stale refused and nothing written, none refused for the key, the right one taken", async () => {
    const { owner, worker, key, run, token } = await setup("gpu");
    const w = worker.client;
    const before = { tasks: await rows(taskRuns), logs: await rows(logs), results: await rows(results), artifacts: await rows(artifacts) };

    // Stale tokens: each write refused with LEASE_LOST, naming the run.
    const stale = [
      await refusal(w.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: STALE })),
      await refusal(w.results.create.mutate({ flowRunId: run.id, value: { v: 1 }, leaseToken: STALE })),
      await refusal(w.artifacts.create.mutate({ flowRunId: run.id, type: "markdown", data: "# hi", leaseToken: STALE })),
      await refusal(w.flowRuns.create.mutate({ flow: "sub", createFlow: true, parentFlowRunId: run.id, parentLeaseToken: STALE })),
      await refusal(w.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: STALE, result: { value: 7 } })),
    ];
    for (const r of stale) expect(r, r.message).toMatchObject({ code: "CONFLICT", reason: "LEASE_LOST" });
    for (const r of stale) expect(r.message).toContain(`Lease lost for flow run ${run.id}`);
    expect(await w.logs.create.mutate({ logs: [{ flowRunId: run.id, level: 20, message: "stale", leaseToken: STALE }] })).toEqual({ count: 0, leaseLost: [run.id] });

    // The worker key without a token, on the run it holds: refused too (LEASE_HELD), nothing written.
    const none = [
      await refusal(w.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t" })),
      await refusal(w.results.create.mutate({ flowRunId: run.id, value: { v: 1 } })),
      await refusal(w.artifacts.create.mutate({ flowRunId: run.id, type: "markdown", data: "# hi" })),
      await refusal(w.flowRuns.create.mutate({ flow: "sub", createFlow: true, parentFlowRunId: run.id })),
      await refusal(w.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" } })),
    ];
    for (const r of none) expect(r, r.message).toMatchObject({ code: "CONFLICT", reason: "LEASE_HELD" });
    expect(await w.logs.create.mutate({ logs: [{ flowRunId: run.id, level: 20, message: "no token" }] })).toEqual({ count: 0, leaseLost: [], leaseHeld: [run.id] });

    // The streamed upload: stale or missing token refused with 409, the bytes not kept.
    const upload = (query: string) =>
      api.fetch(`${TEST_ORIGIN}/api/results/upload?flowRunId=${run.id}${query}`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: new Uint8Array([1, 2, 3]) });
    for (const query of [`&leaseToken=${STALE}`, ""]) {
      const res = await upload(query);
      expect(res.status).toBe(409);
      expect((await res.json()).error.data.reason).toBe(query ? "LEASE_LOST" : "LEASE_HELD");
    }
    expect({ tasks: await rows(taskRuns), logs: await rows(logs), results: await rows(results), artifacts: await rows(artifacts) }).toEqual(before);
    expect(await owner.client.flowRuns.get.query({ id: run.id })).toMatchObject({ stateType: "RUNNING" });

    // The right token: every write taken.
    const task = await w.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "t", flowRunLeaseToken: token, start: true });
    expect(task).toMatchObject({ stateType: "RUNNING", created: true });
    // A task's state without the token is refused whoever asks: the key, and the owner too.
    expect(await refusal(w.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" } }))).toMatchObject({ code: "CONFLICT", reason: "LEASE_HELD" });
    expect(await refusal(owner.client.taskRuns.setState.mutate({ id: task.id, state: { type: "FAILED" } }))).toMatchObject({ code: "CONFLICT", reason: "LEASE_HELD" });
    expect(await refusal(w.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: STALE, result: { value: 1 } }))).toMatchObject({ reason: "LEASE_LOST" });
    expect((await w.logs.create.mutate({ logs: [{ flowRunId: run.id, taskRunId: task.id, level: 20, message: "step", leaseToken: token }] })).count).toBe(1);
    const result = await w.results.create.mutate({ flowRunId: run.id, value: { rows: 3 }, leaseToken: token });
    const up = await upload(`&leaseToken=${token}`);
    expect(up.status).toBe(200);
    await w.artifacts.create.mutate({ taskRunId: task.id, type: "markdown", data: "# done", leaseToken: token });
    expect(await w.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: token, resultId: result.id })).toMatchObject({ stateType: "COMPLETED" });
    expect({ tasks: await rows(taskRuns), logs: await rows(logs), results: await rows(results), artifacts: await rows(artifacts) }).toEqual({
      tasks: before.tasks + 1,
      logs: before.logs + 1,
      results: before.results + 2, // the result and the upload; the inline result with the stale state was not kept
      artifacts: before.artifacts + 1,
    });
    const done = await w.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: token, result: { value: "ok" } });
    expect(done.stateType).toBe("COMPLETED");
    expect(await rows(results)).toBe(before.results + 3);
    // Over: the lease is gone, so the old token is refused and token-less writes are no lease check.
    expect(await refusal(w.artifacts.create.mutate({ flowRunId: run.id, type: "markdown", leaseToken: token }))).toMatchObject({ reason: "LEASE_LOST" });
    expect((await w.artifacts.create.mutate({ flowRunId: run.id, type: "markdown", data: "after" })).flowRunId).toBe(run.id);
  });

  it("a subflow's writes carry its top-level run's lease and are checked against that run", async () => {
    const { owner, worker, run, token } = await setup("sub");
    const runsBefore = await rows(flowRuns);
    const w = worker.client;
    const sub = await w.flowRuns.create.mutate({ flow: "sub", createFlow: true, parentFlowRunId: run.id, parentLeaseToken: token });
    expect(sub).toMatchObject({ parentFlowRunId: run.id, stateType: "SCHEDULED" });
    // Without the token its state is refused (the top-level run is held); a stale one names the held run.
    expect(await refusal(w.flowRuns.setState.mutate({ id: sub.id, state: { type: "RUNNING" } }))).toMatchObject({ reason: "LEASE_HELD" });
    const staleState = await refusal(w.flowRuns.setState.mutate({ id: sub.id, state: { type: "RUNNING" }, leaseToken: STALE }));
    expect(staleState).toMatchObject({ code: "CONFLICT", reason: "LEASE_LOST" });
    expect(staleState.message).toContain(`Lease lost for flow run ${run.id}`);
    expect((await w.flowRuns.setState.mutate({ id: sub.id, state: { type: "RUNNING" }, leaseToken: token })).stateType).toBe("RUNNING");
    // History names the worker holding the top-level lease.
    expect((await owner.client.flowRuns.history.query({ id: sub.id })).at(-1)!.actor).toBe("worker:w1");

    // Its tasks, logs, artifacts and nested subflows: the same lease.
    expect(await refusal(w.taskRuns.create.mutate({ flowRunId: sub.id, taskKey: "s", flowRunLeaseToken: STALE }))).toMatchObject({ reason: "LEASE_LOST" });
    expect(await refusal(w.taskRuns.create.mutate({ flowRunId: sub.id, taskKey: "s" }))).toMatchObject({ reason: "LEASE_HELD" });
    const task = await w.taskRuns.create.mutate({ flowRunId: sub.id, taskKey: "s", flowRunLeaseToken: token, start: true });
    const nested = await w.flowRuns.create.mutate({ flow: "deeper", createFlow: true, parentFlowRunId: sub.id, parentLeaseToken: token });
    expect(await refusal(w.flowRuns.create.mutate({ flow: "deeper", createFlow: true, parentFlowRunId: nested.id, parentLeaseToken: STALE }))).toMatchObject({ reason: "LEASE_LOST" });
    const lines = await w.logs.create.mutate({
      logs: [
        { flowRunId: sub.id, level: 20, message: "sub line", leaseToken: token },
        { flowRunId: sub.id, taskRunId: task.id, level: 20, message: "task line", leaseToken: token },
        { flowRunId: nested.id, level: 20, message: "stale line", leaseToken: STALE },
      ],
    });
    // A stale line names the run the worker holds, which is the one it must stop.
    expect(lines).toEqual({ count: 2, leaseLost: [run.id] });
    expect((await owner.client.logs.list.query({ flowRunId: sub.id })).items.map((l) => l.message)).toEqual(["sub line", "task line"]);
    expect(await refusal(w.artifacts.create.mutate({ taskRunId: task.id, type: "table", leaseToken: STALE }))).toMatchObject({ reason: "LEASE_LOST" });
    expect((await w.artifacts.create.mutate({ taskRunId: task.id, type: "table", data: [[1]], leaseToken: token })).flowRunId).toBe(sub.id);
    expect(await w.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: token, result: { value: 1 } })).toMatchObject({ stateType: "COMPLETED" });
    expect(await w.flowRuns.setState.mutate({ id: sub.id, state: { type: "COMPLETED" }, leaseToken: token, result: { value: 2 } })).toMatchObject({ stateType: "COMPLETED" });
    expect(await rows(flowRuns)).toBe(runsBefore + 2);
  });

  it("members change a held run through cancel, never by reporting its state without the lease", async () => {
    const { owner, worker, run, token } = await setup("members");
    const sub = await worker.client.flowRuns.create.mutate({ flow: "sub", createFlow: true, parentFlowRunId: run.id, parentLeaseToken: token });
    await worker.client.flowRuns.setState.mutate({ id: sub.id, state: { type: "RUNNING" }, leaseToken: token });
    // The owner may not forge the outcome of a held run or of its subflow…
    for (const id of [run.id, sub.id]) {
      expect(await refusal(owner.client.flowRuns.setState.mutate({ id, state: { type: "COMPLETED" } }))).toMatchObject({ code: "CONFLICT", reason: "LEASE_HELD" });
    }
    // …nor may a worker key cancel: that is a member's procedure.
    expect((await refusal(worker.client.flowRuns.cancel.mutate({ id: run.id }))).code).toBe("FORBIDDEN");
    const cancelling = await owner.client.flowRuns.cancel.mutate({ id: run.id, message: "stop please" });
    expect(cancelling.stateType).toBe("CANCELLING");
    expect((await owner.client.flowRuns.history.query({ id: run.id })).at(-1)).toMatchObject({ toType: "CANCELLING", actor: "user:owner@example.com" });
    // A member cancels a running subflow the same way.
    expect((await owner.client.flowRuns.cancel.mutate({ id: sub.id })).stateType).toBe("CANCELLING");
    // The worker confirms under its lease.
    expect((await worker.client.flowRuns.setState.mutate({ id: run.id, state: { type: "CANCELLED" }, leaseToken: token })).stateType).toBe("CANCELLED");
    expect((await api.db.select().from(flowRuns).where(eq(flowRuns.id, run.id)))[0]!.leaseToken).toBeNull();
  });
});
