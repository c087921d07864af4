/**
 * Blob results streamed to POST /api/results/upload: bytes larger than the JSON body limit go
 * through whole and intact, only to callers allowed to write them, and a refused or failed
 * upload leaves nothing in the blob store.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilesystemBlobStore, setBlobStore } from "../../server/blobs";
import { BlobTooLargeError } from "../../server/blobs/store";
import { createBatonClient } from "../../server/client";
import { loadResult, persistResult } from "../../sdk/results";
import { useAuthApi, TEST_ORIGIN } from "../helpers/auth";
import { startHttpApiServer } from "../helpers/http-api-server";

const dir = mkdtempSync(path.join(os.tmpdir(), "baton-upload-"));
const blobFiles = () => readdirSync(dir, { recursive: true }).filter((f) => String(f).length > 0 && !String(f).endsWith(".tmp") && path.extname(String(f)) === "" && String(f).includes("/")).length;

describe("streamed result uploads", () => {
  const api = useAuthApi();
  beforeAll(() => setBlobStore(new FilesystemBlobStore(dir)));
  afterAll(() => {
    setBlobStore(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores 20 MB from a worker key of the run's pool, refuses other callers, leaves no blob behind", async () => {
    const owner = await api.signUpFirstOwner();
    await owner.client.workPools.create.mutate({ name: "pool-a", type: "node" });
    await owner.client.workPools.create.mutate({ name: "pool-b", type: "node" });
    await owner.client.flows.create.mutate({ name: "f" });
    await owner.client.deployments.create.mutate({ flow: "f", name: "d", workPool: "pool-a", entrypoint: "kind:encode", parameters: { texts: ["a", "b", "c"] } });
    const run = await owner.client.deployments.run.mutate({ deployment: "f/d" });
    const keyA = (await owner.client.apiKeys.create.mutate({ name: "a", role: "worker", workPools: ["pool-a"] })).key;
    const keyB = (await owner.client.apiKeys.create.mutate({ name: "b", role: "worker", workPools: ["pool-b"] })).key;

    const bytes = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const upload = (headers: Record<string, string>, query = `flowRunId=${run.id}&mediaType=application/octet-stream`) =>
      api.fetch(`${TEST_ORIGIN}/api/results/upload?${query}`, { method: "POST", headers, body: bytes });

    const before = blobFiles();
    const refused = await Promise.all([
      upload({}),
      upload({ authorization: `Bearer ${keyB}` }),
      upload({ authorization: `Bearer ${keyA}` }, "mediaType=application/octet-stream"), // names no run
      upload({ authorization: `Bearer ${keyA}` }, `flowRunId=${run.id}&mediaType=not a type`),
    ]);
    expect(refused.map((r) => r.status)).toEqual([401, 403, 403, 400]);
    expect((await refused[3]!.json()).error.message).toMatch(/mediaType: must be a media type/);
    expect(blobFiles()).toBe(before);

    const ok = await upload({ authorization: `Bearer ${keyA}` });
    expect(ok.status).toBe(200);
    const { result } = (await ok.json()) as { result: { data: { id: string; sizeBytes: number; sha256: string; storage: string } } };
    expect(result.data).toMatchObject({ storage: "blob", sizeBytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") });
    expect(blobFiles()).toBe(before + 1);
    const back = await owner.client.results.get.query({ id: result.data.id, includeData: true });
    expect(Buffer.from(back.base64!, "base64").equals(Buffer.from(bytes))).toBe(true);

    const tooBig = await api.fetch(`${TEST_ORIGIN}/api/results/upload?flowRunId=${run.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${keyA}`, "content-length": String(300 * 1024 * 1024) },
      body: new Uint8Array(10),
    });
    expect(tooBig.status).toBe(413);
  });

  it("a stream over the limit is cut off and leaves no file", async () => {
    const store = new FilesystemBlobStore(dir);
    const before = readdirSync(dir, { recursive: true }).length;
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield new Uint8Array(1000);
    }
    await expect(store.putStream("w/over", chunks(), 5000)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await store.head("w/over")).toBeUndefined();
    expect(readdirSync(dir, { recursive: true }).length).toBeLessThanOrEqual(before + 1); // at most the folder
  });

  it("the SDK sends large results as a stream over HTTP and reads them back", async () => {
    const server = await startHttpApiServer(() => api.db);
    try {
      const client = createBatonClient({ apiUrl: server.apiUrl, batch: false });
      const value = { vectors: Array.from({ length: 50_000 }, (_, i) => [i, i / 3, -i - 1]) };
      const id = await persistResult(client, value);
      const row = await client.results.get.query({ id });
      expect(row.storage).toBe("blob");
      expect(await loadResult(client, id)).toEqual(value);
    } finally {
      await server.close();
    }
  });
});
