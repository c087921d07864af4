/**
 * A packed directory (`baton deploy --dir`) is the code of a process pool's command: the
 * deployments API itself refuses to put one on another kind of pool (or on no pool), on create
 * and on update — a new directory onto a node pool, or a directory deployment moved to one —
 * naming the pool and its type, not only the CLI. A bundled flow on a node pool is untouched.
 */
import { describe, expect, it } from "vitest";
import { writeDirectoryArchive } from "../../common/code-archive";
import { expectTrpcError, useTestApi } from "../helpers/api";

const folder = (text: string) => writeDirectoryArchive([{ path: "run.sh", bytes: new TextEncoder().encode(text), executable: true }]);

describe("a deployed directory goes only to a process pool", () => {
  const api = useTestApi();

  it("is refused for a node or browser pool, or no pool, on create; taken for a process pool", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "dir-node", type: "node" });
    await caller.workPools.create({ name: "dir-tabs", type: "browser" });
    await caller.workPools.create({ name: "dir-jobs", type: "process", baseJobTemplate: { command: ["/bin/sh", "run.sh"] } });
    const code = { source: folder("echo hi\n"), dependencies: {} };

    const node = await expectTrpcError(
      caller.deployments.create({ flow: "train", name: "on-node", workPool: "dir-node", code }),
      "BAD_REQUEST",
      /^code: a directory \(baton deploy --dir\) is the code of a process pool's command; pool dir-node is a node pool/,
    );
    expect(node.field).toBe("code");
    await expectTrpcError(caller.deployments.create({ flow: "train", name: "on-tabs", workPool: "dir-tabs", code }), "BAD_REQUEST", /pool dir-tabs is a browser pool/);
    await expectTrpcError(caller.deployments.create({ flow: "train", name: "nowhere", code }), "BAD_REQUEST", /^code: a directory \(baton deploy --dir\) is the code of a process pool's command: give workPool, a process pool/);
    // Nothing was made by the refused calls.
    expect((await caller.deployments.list()).map((d) => d.name)).toEqual([]);

    const ok = await caller.deployments.create({ flow: "train", name: "on-jobs", workPool: "dir-jobs", code });
    expect(ok).toMatchObject({ workPoolName: "dir-jobs", codeVersion: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it("is refused on update: a directory deployment moved to a node pool, or a directory given to a node pool's deployment", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "up-node", type: "node" });
    await caller.workPools.create({ name: "up-jobs", type: "process", baseJobTemplate: { command: ["/bin/sh", "run.sh"] } });
    await caller.workPools.create({ name: "up-jobs-2", type: "process", baseJobTemplate: { command: ["/bin/sh", "run.sh"] } });
    const dir = await caller.deployments.create({ flow: "train", name: "dir", workPool: "up-jobs", code: { source: folder("echo 1\n"), dependencies: {} } });

    const moved = await expectTrpcError(caller.deployments.update({ deployment: dir.id, workPool: "up-node" }), "BAD_REQUEST", /^workPool: a directory \(baton deploy --dir\) is the code of a process pool's command; pool up-node is a node pool/);
    expect(moved.field).toBe("workPool");
    await expectTrpcError(caller.deployments.update({ deployment: dir.id, workPool: null }), "BAD_REQUEST", /give workPool, a process pool/);
    expect(await caller.deployments.get({ deployment: dir.id })).toMatchObject({ workPoolName: "up-jobs", codeVersion: dir.codeVersion });
    // Another process pool, a new directory on its own pool, and other fields: all taken.
    expect(await caller.deployments.update({ deployment: dir.id, workPool: "up-jobs-2" })).toMatchObject({ workPoolName: "up-jobs-2" });
    const redeployed = await caller.deployments.update({ deployment: dir.id, code: { source: folder("echo 2\n"), dependencies: {} } });
    expect(redeployed.codeVersion).not.toBe(dir.codeVersion);
    expect(await caller.deployments.update({ deployment: dir.id, description: "fine-tune" })).toMatchObject({ description: "fine-tune" });
    // Code taken away (null): it may go to a node pool.
    expect(await caller.deployments.update({ deployment: dir.id, code: null, workPool: "up-node", entrypoint: "flows/train.ts:train" })).toMatchObject({ workPoolName: "up-node", codeVersion: null });

    // A node pool's deployment given a directory.
    const flowDep = await caller.deployments.create({ flow: "etl", name: "ts", workPool: "up-node", entrypoint: "flows/etl.ts:etl" });
    await expectTrpcError(caller.deployments.update({ deployment: flowDep.id, code: { source: folder("echo 3\n"), dependencies: {} } }), "BAD_REQUEST", /^code: .*pool up-node is a node pool/);
    // A bundled flow (not a directory) on a node pool is not this check's business.
    const bundled = await caller.deployments.update({ deployment: flowDep.id, code: { source: "export const x = 1;\n", dependencies: {} } });
    expect(bundled.codeVersion).toMatch(/^sha256:/);
  });
});
