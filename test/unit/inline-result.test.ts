/** The one inline-result limit and its byte count (common/inline-result.ts). */
import { describe, expect, test } from "vitest";
import { fitsInline, INLINE_RESULT_MAX_BYTES, utf8ByteLength } from "../../common/inline-result";
import { MAX_INLINE_RESULT_BYTES } from "../../server/domain/results";

describe("utf8ByteLength", () => {
  test.each(["", "plain ascii", "é", "naïve café", "日本語", "𝄞 clef", "emoji 😀😀", '{"k":["ü",1.5,null]}'])("%j: as TextEncoder counts", (text) => {
    expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).byteLength);
  });

  test("a lone surrogate counts as the U+FFFD it is encoded as", () => {
    expect(utf8ByteLength("a\ud800b")).toBe(new TextEncoder().encode("a\ud800b").byteLength);
    expect(utf8ByteLength("\udc00")).toBe(3);
  });
});

describe("fitsInline", () => {
  test("the server's limit is this one", () => {
    expect(MAX_INLINE_RESULT_BYTES).toBe(INLINE_RESULT_MAX_BYTES);
    expect(INLINE_RESULT_MAX_BYTES).toBe(1024 * 1024);
  });

  test("measures bytes, not characters, up to and including the limit", () => {
    expect(fitsInline("x".repeat(100), 100)).toBe(true);
    expect(fitsInline("x".repeat(101), 100)).toBe(false);
    expect(fitsInline("é".repeat(50), 100)).toBe(true);
    expect(fitsInline("é".repeat(51), 100)).toBe(false); // 51 characters, 102 bytes
    const json = JSON.stringify("ü".repeat(600 * 1024)); // about 600 K characters, 1.2 MB
    expect(json.length).toBeLessThan(INLINE_RESULT_MAX_BYTES);
    expect(fitsInline(json)).toBe(false);
  });
});
