/**
 * `baton kind ls|inspect` document the kinds from the server's registry, and `baton deploy
 * kind:<name>` makes a deployment of one with no file lookup, its defaults checked against the
 * kind (an internal module or a bad parameter is refused, naming what is wrong).
 */
import { describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { kindInfo } from "../../workers/kinds/registry";
import { useHttpApiServer } from "../helpers/http-api-server";
import { runCli, show } from "./run-cli";

const api = useHttpApiServer();
const baton = (...args: string[]) => runCli(args, { BATON_API_URL: api.apiUrl, BATON_WORKSPACE: undefined });

describe("baton kind and baton deploy kind:", () => {
  it("lists the kinds with where they run and what they do", async () => {
    const ls = await baton("kind", "ls");
    expect(ls.code, show(ls)).toBe(0);
    const lines = ls.stdout.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+RUNS ON\s+DESCRIPTION$/);
    expect(lines.find((l) => l.startsWith("cluster"))).toMatch(/^cluster\s+tab, node\s+k-means over embeddings/);
    expect(lines.find((l) => l.startsWith("train"))).toMatch(/^train\s+node, gpu\s+Fit a classifier head/);
    for (const internal of ["kmeans", "tokenize"]) expect(lines.some((l) => l.startsWith(internal))).toBe(false);
  });

  it("inspects a kind: its description, parameters with types and defaults, and an example", async () => {
    const inspect = await baton("kind", "inspect", "cluster");
    expect(inspect.code, show(inspect)).toBe(0);
    expect(inspect.stdout).toMatch(/^cluster {2}kind:cluster\n/);
    expect(inspect.stdout).toContain("Runs on: browser tab, Node worker");
    expect(inspect.stdout).toMatch(/\nvectors \*\s+array of arrays of numbers\s+one embedding per row/);
    expect(inspect.stdout).toMatch(/\ntopTerms\s+integer ≥ 1\s+8\s+terms per cluster/);
    expect(inspect.stdout).toMatch(/\ndevice\s+auto \| webgpu \| cpu\s+"auto"/);
    expect(inspect.stdout).toContain(`Example parameters\n{\n  "vectors": [\n    [0, 0.1],\n    [0.1, 0],`);
    const example = inspect.stdout.slice(inspect.stdout.indexOf("Example parameters\n") + 19, inspect.stdout.indexOf("\n}\n") + 2);
    expect(JSON.parse(example)).toEqual(kindInfo("cluster").example);

    const missing = await baton("kind", "inspect", "kmeans");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Task kind "kmeans" was not found \(the kinds: pdf, encode, cluster, train, infer\)/);
  });

  it("deploys kind:cluster with defaults checked against the kind, and refuses internals", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "cli-kinds-pool", type: "node" });
    const deploy = await baton("deploy", "kind:cluster", "-n", "clusters", "-p", "cli-kinds-pool", "--param", "k=3", "--param", "seed=7");
    expect(deploy.code, show(deploy)).toBe(0);
    expect(deploy.stdout).toContain("Created deployment cluster/clusters (kind:cluster) → pool cli-kinds-pool/default");
    expect(deploy.stdout).toContain("each run gives vectors");
    const stored = await client.deployments.get.query({ deployment: "cluster/clusters" });
    expect(stored).toMatchObject({ entrypoint: "kind:cluster", parameters: { k: 3, seed: 7 } });
    expect(stored.parameterSchema).toEqual(kindInfo("cluster").parameterSchema);

    // Again: an update, under a flow of one's choosing too.
    const again = await baton("deploy", "kind:cluster", "-n", "clusters", "-p", "cli-kinds-pool", "--param", "k=4");
    expect(again.stdout, show(again)).toContain("Updated deployment cluster/clusters");
    expect((await client.deployments.get.query({ deployment: "cluster/clusters" })).parameters).toEqual({ k: 4 });
    const named = await baton("deploy", "kind:encode", "-n", "embed", "--flow", "etl", "--param", 'texts=["a","b","c"]');
    expect(named.code, show(named)).toBe(0);
    expect(named.stdout).toContain("Created deployment etl/embed (kind:encode)");

    const bad = await baton("deploy", "kind:cluster", "-n", "bad", "--param", 'texts=["a"]');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/parameters\.texts: is not an allowed parameter/);
    const internal = await baton("deploy", "kind:kmeans", "-n", "nope");
    expect(internal.code).not.toBe(0);
    expect(internal.stderr).toMatch(/there is no task kind "kmeans" \(the kinds: pdf, encode, cluster, train, infer/);
    expect(internal.stderr).not.toMatch(/was not found in the worker's checkout/);
  });
});
