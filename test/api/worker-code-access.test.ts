/**
 * Who may download a run's delivered code (`workers.code`, issue 13 item 5), over the HTTP API
 * with auth on: a worker key for the run's pool gets exactly the bundle the run was made with,
 * also after a re-deploy; a worker key for another pool, a key reporting as another pool's
 * worker, a viewer and an anonymous caller get nothing of it.
 */
import { describe, expect, it } from "vitest";
import { trpcCode, useAuthApi } from "../helpers/auth";

describe("workers.code: a run's bundle, for that pool's worker keys only", () => {
  const api = useAuthApi();

  it("gives the bundle to the pool's worker key and refuses everyone else", async () => {
    const owner = await api.signUpFirstOwner();
    for (const pool of ["gpu", "cpu"]) await owner.client.workPools.create.mutate({ name: pool, type: "node" });
    await owner.client.flows.create.mutate({ name: "train" });
    const v1 = "export default async function train() { return 1; }";
    const v2 = "export default async function train() { return 2; }";
    await owner.client.deployments.create.mutate({
      flow: "train",
      name: "d",
      workPool: "gpu",
      entrypoint: "train.ts:train",
      code: { source: v1, dependencies: { "left-pad": "^1.3.0" }, files: ["train.ts"] },
    });
    const first = await owner.client.deployments.run.mutate({ deployment: "train/d" });

    const keyFor = async (pool: string) => (await owner.client.apiKeys.create.mutate({ name: `${pool}-worker`, role: "worker", workPools: [pool] })).key;
    const gpu = api.as({ authorization: `Bearer ${await keyFor("gpu")}` });
    const cpu = api.as({ authorization: `Bearer ${await keyFor("cpu")}` });
    const gpuWorker = await gpu.client.workers.register.mutate({ workPool: "gpu", name: "g1" });
    const cpuWorker = await cpu.client.workers.register.mutate({ workPool: "cpu", name: "c1" });

    const got = await gpu.client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: first.id });
    expect(got.source).toBe(v1);
    expect(got.dependencies).toEqual({ "left-pad": "^1.3.0" });
    expect(got.version).toMatch(/^sha256:[0-9a-f]{64}$/);

    // A re-deploy: the new run gets the new code, the old run keeps its own.
    await owner.client.deployments.update.mutate({ deployment: "train/d", code: { source: v2 } });
    const second = await owner.client.deployments.run.mutate({ deployment: "train/d" });
    const newer = await gpu.client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: second.id });
    expect(newer.source).toBe(v2);
    expect(newer.version).not.toBe(got.version);
    expect((await gpu.client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: first.id })).source).toBe(v1);

    // Another pool's key: neither as its own worker nor naming the gpu worker.
    const refusals = [
      await cpu.client.workers.code.query({ workerId: cpuWorker.workerId, flowRunId: first.id }).catch(trpcCode),
      await cpu.client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: first.id }).catch(trpcCode),
    ];
    expect(refusals).toEqual(["FORBIDDEN", "FORBIDDEN"]);

    // A viewer is no worker; an anonymous caller is nobody.
    const inv = await owner.client.invitations.create.mutate({ email: "viewer@example.com", role: "viewer" });
    const viewer = await api.signUpInvited(inv.id, "viewer@example.com");
    expect(await viewer.client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: first.id }).catch(trpcCode)).toBe("FORBIDDEN");
    expect(await api.anonymous().client.workers.code.query({ workerId: gpuWorker.workerId, flowRunId: first.id }).catch(trpcCode)).toBe("UNAUTHORIZED");
  });
});
