import { describe, expect, it } from "vitest";
import { attachmentDisposition, safeMediaType, USER_CONTENT_HEADERS } from "../../server/user-content";

describe("user content headers", () => {
  it("never sniff, sandbox and load nothing", () => {
    expect(USER_CONTENT_HEADERS["x-content-type-options"]).toBe("nosniff");
    expect(USER_CONTENT_HEADERS["content-security-policy"]).toBe("default-src 'none'; sandbox");
  });

  it("keep well-formed media types and replace the rest", () => {
    expect(safeMediaType("text/html")).toBe("text/html");
    expect(safeMediaType("application/json; charset=utf-8")).toBe("application/json; charset=utf-8");
    expect(safeMediaType('text/plain; charset="utf-8"')).toBe('text/plain; charset="utf-8"');
    expect(safeMediaType("text/html\r\nset-cookie: a=b")).toBe("application/octet-stream");
    expect(safeMediaType("nonsense")).toBe("application/octet-stream");
    expect(safeMediaType(null, "application/json")).toBe("application/json");
    // Whatever comes out is a valid header value.
    expect(() => new Headers({ "content-type": safeMediaType("a/b\u0007") })).not.toThrow();
  });

  it("name downloads safely", () => {
    expect(attachmentDisposition("model.onnx")).toBe(`attachment; filename="model.onnx"; filename*=UTF-8''model.onnx`);
    expect(attachmentDisposition('ré"s\\.txt')).toBe(`attachment; filename="r__s_.txt"; filename*=UTF-8''r%C3%A9%22s%5C.txt`);
    expect(() => new Headers({ "content-disposition": attachmentDisposition("a\r\nb") })).not.toThrow();
  });
});
