/**
 * Task kinds through the API: kinds.list / kinds.get serve the registry, and a `kind:<name>`
 * entrypoint is checked against it at deploy time: an unknown kind (or an internal module such
 * as kmeans) is refused naming `entrypoint`, the deployment's parameter schema defaults to the
 * kind's own, and defaults and runs are checked against it.
 */
import { describe, expect, it } from "vitest";
import { KIND_NAMES, kindInfo } from "../../workers/kinds/registry";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("task kinds", () => {
  const api = useTestApi();

  it("lists every kind of the registry, and gets one by name or entrypoint", async () => {
    const caller = api.caller();
    const kinds = await caller.kinds.list();
    expect(kinds.map((k) => k.name)).toEqual([...KIND_NAMES]);
    const cluster = await caller.kinds.get({ kind: "kind:cluster" });
    expect(cluster).toMatchObject({ name: "cluster", entrypoint: "kind:cluster", runsOn: ["tab", "node"] });
    expect(cluster.parameters.find((p) => p.name === "vectors")).toMatchObject({ required: true, type: "array of arrays of numbers" });
    expect(cluster.parameters.find((p) => p.name === "topTerms")).toMatchObject({ required: false, default: 8 });
    expect(cluster.parameterSchema).toEqual(kindInfo("cluster").parameterSchema);
    await expectTrpcError(caller.kinds.get({ kind: "kmeans" }), "NOT_FOUND", /Task kind "kmeans" was not found \(the kinds: pdf, encode, cluster, train, infer\)/);
  });

  it("refuses an unknown kind or an internal module, naming entrypoint and listing the kinds", async () => {
    const caller = api.caller();
    for (const entrypoint of ["kind:kmeans", "kind:tokenize", "kind:nope"]) {
      const err = await expectTrpcError(caller.deployments.create({ flow: "k", name: entrypoint.slice(5), entrypoint }), "BAD_REQUEST", /entrypoint: there is no task kind/);
      expect(err.message).toContain("the kinds: pdf, encode, cluster, train, infer");
      expect(err.field).toBe("entrypoint");
    }
    const d = await caller.deployments.create({ flow: "k", name: "ok", entrypoint: "kind:encode" });
    await expectTrpcError(caller.deployments.update({ deployment: d.id, entrypoint: "kind:kmeans" }), "BAD_REQUEST", /entrypoint: there is no task kind "kmeans"/);
    expect((await caller.deployments.list({ flow: "k" })).map((x) => x.name)).toEqual(["ok"]);
  });

  it("gives a kind deployment the kind's schema, and checks defaults and runs against it", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "kinds-pool", type: "node" });
    const d = await caller.deployments.create({ flow: "clusters", name: "c", entrypoint: "kind:cluster", workPool: "kinds-pool", parameters: { k: 3 } });
    expect(d.parameterSchema).toEqual(kindInfo("cluster").parameterSchema);
    expect(d.enforceParameterSchema).toBe(true);

    // A bad default is refused naming its field; nothing is written.
    await expectTrpcError(
      caller.deployments.create({ flow: "clusters", name: "bad", entrypoint: "kind:cluster", parameters: { texts: ["a", "b"] } }),
      "BAD_REQUEST",
      /parameters\.texts: is not an allowed parameter/,
    );
    await expectTrpcError(caller.deployments.create({ flow: "clusters", name: "bad", entrypoint: "kind:cluster", parameters: { k: "three" } }), "BAD_REQUEST", /parameters\.k: must be integer/);
    await expectTrpcError(caller.deployments.update({ deployment: d.id, parameters: { k: 0 } }), "BAD_REQUEST", /parameters\.k/);
    expect((await caller.deployments.list({ flow: "clusters" })).map((x) => x.name)).toEqual(["c"]);

    // A run missing what the kind needs is refused before it is made.
    await expectTrpcError(caller.deployments.run({ deployment: d.id }), "BAD_REQUEST", /parameters\.vectors: is required/);
    const run = await caller.deployments.run({ deployment: d.id, parameters: { vectors: [[0, 1], [1, 0], [5, 5]] } });
    expect(run.parameters).toEqual({ k: 3, vectors: [[0, 1], [1, 0], [5, 5]] });

    // Another kind: the default schema follows; a schema the deployment was given stays.
    const encode = await caller.deployments.update({ deployment: d.id, entrypoint: "kind:encode", parameters: {} });
    expect(encode.parameterSchema).toEqual(kindInfo("encode").parameterSchema);
    const own = { type: "object", properties: { texts: { type: "array" } } };
    const given = await caller.deployments.create({ flow: "clusters", name: "own", entrypoint: "kind:encode", parameterSchema: own, parameters: { texts: [] } });
    expect(given.parameterSchema).toEqual(own);
    expect((await caller.deployments.update({ deployment: given.id, entrypoint: "kind:cluster" })).parameterSchema).toEqual(own);
    // Code instead of a kind: the kind's schema goes with it.
    expect((await caller.deployments.update({ deployment: d.id, entrypoint: "flows/etl.ts:etl", parameters: {} })).parameterSchema).toBeNull();
  });
});
