/**
 * The server decides the inline-result limit: `workers.register` hands it out, and the figure is
 * the one the server enforces, in UTF-8 bytes (so a client that counts characters, as the tab
 * did, would send values the server refuses).
 */
import { describe, expect, it } from "vitest";
import { fitsInline } from "../../common/inline-result";
import { expectTrpcError, useTestApi } from "../helpers/api";

describe("inline-result limit", () => {
  const api = useTestApi();

  it("register says it; a value of exactly that many bytes is kept inline, one byte more is refused", async () => {
    const client = api.client();
    await client.workPools.create.mutate({ name: "inline-limit", type: "node" });
    const reg = await client.workers.register.mutate({ workPool: "inline-limit", name: "inline-w" });
    const max = reg.inlineResultMaxBytes;
    expect(max).toBe(1024 * 1024);

    // JSON.stringify of a string adds two quote bytes; "é" is two bytes in UTF-8.
    const exact = "é".repeat((max - 2) / 2);
    expect(fitsInline(JSON.stringify(exact), max)).toBe(true);
    const kept = await client.results.create.mutate({ value: exact });
    expect(kept).toMatchObject({ storage: "inline", sizeBytes: max });

    const over = `${exact}x`;
    expect(fitsInline(JSON.stringify(over), max)).toBe(false);
    await expectTrpcError(client.results.create.mutate({ value: over }), "BAD_REQUEST", /at most 1048576 bytes/);
  });
});
