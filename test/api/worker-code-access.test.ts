/**
 * Who may download a run's delivered code (`workers.code`, issue 13 item 5), over the HTTP API
 * with auth on: a worker key for the run's pool gets exactly the bundle the run was made with,
 * also after a re-deploy; a worker key for another pool, a key reporting as another pool's
 * worker, a viewer and an anonymous caller get nothing of it.
 */
import { deflateRawSync } from "node:zlib";
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

describe("workers.code: a process pool's deployed folder, as guarded as a bundle", () => {
  const api = useAuthApi();

  it("a process pool's deployed folder: only owners (or allowed members) deploy it, only that pool's worker key downloads it", async () => {
    const owner = await api.signUpFirstOwner();
    for (const pool of ["train", "other"]) await owner.client.workPools.create.mutate({ name: pool, type: "process", baseJobTemplate: { command: ["sh", "run.sh"] } });
    const folder = JSON.stringify({ format: "baton-directory/1", files: [{ path: "run.sh", size: 5, deflate: deflateRawSync(Buffer.from("true\n")).toString("base64") }] });
    const inv = await owner.client.invitations.create.mutate({ email: "editor@example.com", role: "editor" });
    const editor = await api.signUpInvited(inv.id, "editor@example.com");
    await expect(editor.client.deployments.create.mutate({ flow: "job", name: "d", workPool: "train", code: { source: folder, dependencies: {} } })).rejects.toThrow(/code defines what workers execute/);
    const d = await owner.client.deployments.create.mutate({ flow: "job", name: "d", workPool: "train", code: { source: folder, dependencies: {} } });
    expect(d.code?.files).toEqual(["run.sh"]);
    const run = await owner.client.deployments.run.mutate({ deployment: "job/d" });

    const keyFor = async (pool: string) => (await owner.client.apiKeys.create.mutate({ name: `${pool}-worker`, role: "worker", workPools: [pool] })).key;
    const train = api.as({ authorization: `Bearer ${await keyFor("train")}` });
    const other = api.as({ authorization: `Bearer ${await keyFor("other")}` });
    const trainWorker = await train.client.workers.register.mutate({ workPool: "train", name: "t1" });
    const otherWorker = await other.client.workers.register.mutate({ workPool: "other", name: "o1" });
    expect((await train.client.workers.code.query({ workerId: trainWorker.workerId, flowRunId: run.id })).source).toBe(folder);
    expect(await other.client.workers.code.query({ workerId: otherWorker.workerId, flowRunId: run.id }).catch(trpcCode)).toBe("FORBIDDEN");
  });
});
