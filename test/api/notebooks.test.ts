import { beforeAll, describe, expect, it } from "vitest";
import { expectTrpcError } from "../helpers/api";
import { useAuthApi, type Caller } from "../helpers/auth";
import { cellFreshness, cellSignature, type CellInput } from "../../common/notebook";

const FILE = { resultId: "00000000-0000-4000-8000-00000000f11e", name: "manual.pdf", mediaType: "application/pdf", sizeBytes: 1234 };

/** upload → pdf → encode → cluster, as the page builds it. */
function pipeline(uploadResultId: string): CellInput[] {
  return [
    { id: "file", kind: "upload", parameters: { file: { ...FILE, resultId: uploadResultId } }, outputResultId: uploadResultId },
    { id: "pages", kind: "pdf", parameters: { chunk: { size: 400 } }, inputs: { data: "file" } },
    { id: "vectors", kind: "encode", parameters: { encoder: "lexical", dimensions: 8 }, inputs: { texts: "pages" } },
    { id: "groups", kind: "cluster", parameters: { k: 3 }, inputs: { vectors: "vectors", "terms.texts": "pages" } },
  ];
}

describe("notebooks", () => {
  const api = useAuthApi();
  let alice: Caller;
  let bob: Caller;
  let viewer: Caller;
  let owner: Caller;
  let fileId: string;

  beforeAll(async () => {
    owner = await api.signUpFirstOwner();
    const key = async (name: string, role: "editor" | "viewer") => api.as({ authorization: `Bearer ${(await owner.client.apiKeys.create.mutate({ name, role })).key}` });
    alice = await key("alice", "editor");
    bob = await key("bob", "editor");
    viewer = await key("vera", "viewer");
    fileId = (await alice.client.results.create.mutate({ value: { stand: "in for a PDF" } })).id;
  });

  it("creates, saves versions, loads each version and lists them", async () => {
    const created = await alice.client.notebooks.create.mutate({ name: "manuals" });
    expect(created).toMatchObject({ name: "manuals", version: 1, cells: [], createdBy: "key:alice", updatedBy: "key:alice" });

    const saved = await alice.client.notebooks.save.mutate({ id: created.id, expectedVersion: 1, cells: pipeline(fileId) });
    expect(saved.version).toBe(2);
    expect(saved.cells.map((c) => [c.id, c.kind, c.target])).toEqual([
      ["file", "upload", "tab"],
      ["pages", "pdf", "tab"],
      ["vectors", "encode", "tab"],
      ["groups", "cluster", "tab"],
    ]);
    const renamed = await bob.client.notebooks.save.mutate({ id: created.id, expectedVersion: 2, name: "pdf manuals", cells: saved.cells.slice(0, 3) });
    expect(renamed).toMatchObject({ version: 3, name: "pdf manuals", createdBy: "key:alice", updatedBy: "key:bob" });

    const got = await viewer.client.notebooks.get.query({ id: created.id });
    expect(got.cells).toHaveLength(3);
    expect((await viewer.client.notebooks.get.query({ id: created.id, version: 2 })).cells).toHaveLength(4);
    expect((await viewer.client.notebooks.get.query({ id: created.id, version: 1 })).cells).toEqual([]);
    await expectTrpcError(viewer.client.notebooks.get.query({ id: created.id, version: 9 }), "NOT_FOUND", /Version 9/);

    const versions = await viewer.client.notebooks.versions.query({ id: created.id });
    expect(versions.map((v) => [v.version, v.actor, v.cellCount, v.name])).toEqual([
      [3, "key:bob", 3, "pdf manuals"],
      [2, "key:alice", 4, "manuals"],
      [1, "key:alice", 0, "manuals"],
    ]);
    const list = await viewer.client.notebooks.list.query();
    expect(list.items.find((n) => n.id === created.id)).toMatchObject({ name: "pdf manuals", version: 3, cellCount: 3 });
  });

  it("refuses a save over a version someone else saved since, naming who", async () => {
    const nb = await alice.client.notebooks.create.mutate({ name: "shared", cells: pipeline(fileId).slice(0, 2) });
    await bob.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells: pipeline(fileId) });
    const err = await expectTrpcError(alice.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells: [] }), "CONFLICT", /saved by key:bob .*\(version 2\) after the version 1 you edited/);
    expect(err.field).toBe("expectedVersion");
    // Nothing of Alice's was written.
    expect((await alice.client.notebooks.get.query({ id: nb.id })).cells).toHaveLength(4);
    expect(await alice.client.notebooks.versions.query({ id: nb.id })).toHaveLength(2);
  });

  it("refuses bad cells, naming the cell", async () => {
    const nb = await alice.client.notebooks.create.mutate({ name: "checked" });
    const save = (cells: CellInput[]) => alice.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells });
    const base = pipeline(fileId);

    let err = await expectTrpcError(save([{ id: "odd", kind: "kmeans", parameters: {} }]), "BAD_REQUEST", /cell "odd": there is no task kind "kmeans"/);
    expect(err.field).toBe("cells.0.kind");

    err = await expectTrpcError(save([base[0]!, base[1]!, { ...base[2]!, parameters: { encoder: "lexical", dimensions: 0 } }]), "BAD_REQUEST", /cell "vectors": parameters.dimensions: must be 1 or more/);
    expect(err.field).toBe("cells.2.parameters.dimensions");
    await expectTrpcError(save([base[0]!, base[1]!, { ...base[2]!, parameters: { colour: "red" } }]), "BAD_REQUEST", /cell "vectors": parameters.colour: is not a parameter of encode/);
    // encode's texts are required unless another cell gives them.
    await expectTrpcError(save([{ id: "lonely", kind: "encode", parameters: {} }]), "BAD_REQUEST", /cell "lonely": parameters.texts: is required/);

    await expectTrpcError(save([...base.slice(0, 3), { ...base[3]!, inputs: { vectors: "nowhere" } }]), "BAD_REQUEST", /cell "groups": inputs.vectors: there is no cell "nowhere"/);
    await expectTrpcError(save([...base.slice(0, 3), { ...base[3]!, inputs: { vectors: "pages" } }]), "BAD_REQUEST", /cell "groups": inputs.vectors: cell "pages" is pdf; vectors takes the embeddings, from encode/);
    await expectTrpcError(save([...base.slice(0, 3), { ...base[3]!, inputs: { k: "vectors" } }]), "BAD_REQUEST", /cell "groups": inputs.k: is not a parameter it can read/);

    await expectTrpcError(save([{ id: "e1", kind: "encode", parameters: {}, inputs: { texts: "e1" } }]), "BAD_REQUEST", /cell "e1": inputs.texts: a cell cannot read its own output/);
    // A train on a pool reading encode and cluster is fine; in a tab it is refused.
    await save([
      { id: "enc", kind: "encode", parameters: { texts: ["a", "b", "c"] } },
      { id: "c1", kind: "cluster", parameters: {}, inputs: { vectors: "enc" } },
      { id: "t1", kind: "train", parameters: {}, inputs: { embeddings: "enc", labels: "c1" }, target: { pool: "gpu" } },
      { id: "i1", kind: "infer", parameters: {}, inputs: { embeddings: "enc", modelResultId: "t1" } },
    ]);
    await expectTrpcError(save([{ id: "tr", kind: "train", parameters: { embeddings: [[0], [1]], labels: ["a", "b"] } }]), "BAD_REQUEST", /cell "tr": train cannot run in a tab .*send it to a work pool/);
    await expectTrpcError(save([{ ...base[0]!, outputResultId: "00000000-0000-4000-8000-000000000bad" }]), "BAD_REQUEST", /cell "file": outputResultId: result .* was not found/);
    await expectTrpcError(save([base[0]!, { ...base[0]! }]), "BAD_REQUEST", /cell "file": another cell has this id/);
    await expectTrpcError(save([{ id: "Bad Id", kind: "pdf" } as CellInput]), "BAD_REQUEST", /cells.0.id/);
  });

  it("refuses a cycle, naming the cells along it", async () => {
    const nb = await alice.client.notebooks.create.mutate({ name: "cyclic" });
    const err = await expectTrpcError(
      alice.client.notebooks.save.mutate({
        id: nb.id,
        expectedVersion: 1,
        cells: [
          { id: "e1", kind: "encode", parameters: {}, inputs: { texts: "e2" } },
          { id: "e2", kind: "encode", parameters: {}, inputs: { texts: "e1" } },
        ],
      }),
      "BAD_REQUEST",
      /cells "e1" → "e2" → "e1" form a cycle/,
    );
    expect(err.message).toMatch(/cell "e1": inputs.texts: cell "e2" is encode/);
  });

  it("viewers read and cannot write", async () => {
    const nb = await alice.client.notebooks.create.mutate({ name: "read-only", cells: pipeline(fileId).slice(0, 1) });
    expect((await viewer.client.notebooks.get.query({ id: nb.id })).cells).toHaveLength(1);
    await expectTrpcError(viewer.client.notebooks.create.mutate({ name: "mine" }), "FORBIDDEN", /editor role/);
    await expectTrpcError(viewer.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells: [] }), "FORBIDDEN", /editor role/);
    await expectTrpcError(viewer.client.notebooks.delete.mutate({ id: nb.id }), "FORBIDDEN", /editor role/);
    expect((await viewer.client.notebooks.get.query({ id: nb.id })).version).toBe(1);

    await expectTrpcError(alice.client.notebooks.create.mutate({ name: "read-only" }), "CONFLICT", /a notebook with this name already exists/);
    await alice.client.notebooks.delete.mutate({ id: nb.id });
    await expectTrpcError(viewer.client.notebooks.get.query({ id: nb.id }), "NOT_FOUND");
  });

  it("another workspace neither sees a notebook nor points a cell at its results", async () => {
    const nb = await alice.client.notebooks.create.mutate({ name: "private", cells: pipeline(fileId).slice(0, 1) });
    await owner.client.workspaces.create.mutate({ slug: "elsewhere", name: "Elsewhere" });
    const there = api.as({ ...owner.headers, "x-baton-workspace": "elsewhere" });
    expect((await there.client.notebooks.list.query()).items).toEqual([]);
    await expectTrpcError(there.client.notebooks.get.query({ id: nb.id }), "NOT_FOUND");
    await expectTrpcError(there.client.notebooks.save.mutate({ id: nb.id, expectedVersion: 1, cells: [] }), "NOT_FOUND");
    await expectTrpcError(there.client.notebooks.delete.mutate({ id: nb.id }), "NOT_FOUND");
    // The default workspace's uploaded file is not a result of this one.
    await expectTrpcError(there.client.notebooks.create.mutate({ name: "thief", cells: pipeline(fileId).slice(0, 1) }), "BAD_REQUEST", /cell "file": outputResultId: result .* was not found/);
    expect((await alice.client.notebooks.get.query({ id: nb.id })).version).toBe(1);
  });

  it("marks a changed cell and its dependents stale", () => {
    const cells = pipeline(fileId).map((c) => ({ parameters: {}, inputs: {}, target: "tab" as const, ...c }));
    // Run in order: each output made from what it reads now.
    const ran = [...cells];
    ran.forEach((cell, i) => {
      const outputResultId = cell.outputResultId ?? `00000000-0000-4000-8000-00000000000${i}`;
      ran[i] = { ...cell, outputResultId };
      ran[i] = { ...ran[i]!, outputSignature: cellSignature(ran[i]!, ran) };
    });
    expect([...cellFreshness(ran).values()]).toEqual(["fresh", "fresh", "fresh", "fresh"]);
    const edited = ran.map((c) => (c.id === "vectors" ? { ...c, parameters: { ...c.parameters, dimensions: 16 } } : c));
    expect(Object.fromEntries(cellFreshness(edited))).toEqual({ file: "fresh", pages: "fresh", vectors: "stale", groups: "stale" });
  });
});
