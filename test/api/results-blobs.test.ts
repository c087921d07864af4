import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FilesystemBlobStore, setBlobStore } from "../../server/blobs";
import { createResult } from "../../server/domain/results";
import { expectTrpcError, useTestApi } from "../helpers/api";

/** Every file under a folder, temporary files included. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("results and the blob store", () => {
  const api = useTestApi();
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-blobs-"));
    setBlobStore(new FilesystemBlobStore(dir));
  });
  afterAll(() => {
    setBlobStore(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores a blob result and reads it back", async () => {
    const client = api.client();
    const created = await client.results.create.mutate({ base64: Buffer.from("hello").toString("base64"), mediaType: "text/plain" });
    expect(created.storage).toBe("blob");
    expect(filesUnder(dir)).toHaveLength(1);
    const read = await client.results.get.query({ id: created.id, includeData: true });
    expect(Buffer.from(read.base64!, "base64").toString()).toBe("hello");
  });

  it("leaves no blob behind when the row cannot be written", async () => {
    const before = filesUnder(dir);
    // The database refuses the row (no such workspace): the bytes written first are removed.
    await expect(
      createResult({ db: api.db, workspaceId: "00000000-0000-4000-8000-00000000dead", data: new Uint8Array([1, 2, 3]) }),
    ).rejects.toThrow();
    expect(filesUnder(dir)).toEqual(before);

    // Over HTTP: text the database cannot store is refused as BAD_REQUEST, and no bytes stay.
    await expectTrpcError(
      api.client().results.create.mutate({ base64: Buffer.from("bytes").toString("base64"), mediaType: "text/\u0000plain" }),
      "BAD_REQUEST",
      /NUL/,
    );
    expect(filesUnder(dir)).toEqual(before);
  });
});
