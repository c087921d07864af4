import { describe, expect, it } from "vitest";
import {
  checkRawInput,
  JsonDepthScanner,
  MAX_BULK_STRING_LENGTH,
  MAX_JSON_DEPTH,
  MAX_KEY_LENGTH,
  MAX_STRING_LENGTH,
} from "../../server/api/input-guard";

/** `depth` nested arrays around `inner`, built without recursion. */
function nestedArrays(depth: number, inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function nestedObjects(depth: number, key = "a"): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { [key]: v };
  return v;
}

describe("checkRawInput", () => {
  it("passes ordinary inputs", () => {
    expect(checkRawInput(undefined)).toBeNull();
    expect(checkRawInput(null)).toBeNull();
    expect(checkRawInput(42)).toBeNull();
    expect(checkRawInput("plain")).toBeNull();
    expect(checkRawInput({ name: "etl", tags: ["a", "b"], parameters: { n: 1, nested: { list: [1, "x", null, { y: true }] } } })).toBeNull();
    // Emoji are surrogate pairs: valid.
    expect(checkRawInput({ name: "rocket 🚀 ünïcödé" })).toBeNull();
    expect(checkRawInput({ when: new Date(), bytes: new Uint8Array(3) })).toBeNull();
  });

  it("refuses a NUL character, naming the field", () => {
    expect(checkRawInput({ name: "a\u0000b" })).toEqual({ field: "name", message: "name: must not contain a NUL character" });
    expect(checkRawInput({ parameters: { a: { b: ["ok", "x\u0000"] } } })).toEqual({
      field: "parameters.a.b.1",
      message: "parameters.a.b.1: must not contain a NUL character",
    });
    expect(checkRawInput("\u0000")).toEqual({ field: "input", message: "input: must not contain a NUL character" });
  });

  it("refuses lone surrogates but not pairs", () => {
    expect(checkRawInput({ description: "bad \ud800 here" })?.field).toBe("description");
    expect(checkRawInput({ description: "\udc00" })?.message).toMatch(/^description: must be valid Unicode text/);
    expect(checkRawInput({ description: "trailing high \ud83d" })?.field).toBe("description");
    expect(checkRawInput({ description: "\ud83d\ude80" })).toBeNull();
  });

  it("checks object keys", () => {
    const nul = checkRawInput({ parameters: { "a\u0000": 1 } });
    expect(nul).toEqual({ field: "parameters", message: 'parameters: key "a?" must not contain a NUL character' });
    expect(checkRawInput({ env: { ["k\ud800"]: "v" } })?.message).toMatch(/^env: key "k\?" must be valid Unicode/);
    const long = checkRawInput({ parameters: { ["k".repeat(MAX_KEY_LENGTH + 1)]: 1 } });
    expect(long?.field).toBe("parameters");
    expect(long?.message).toMatch(new RegExp(`must be at most ${MAX_KEY_LENGTH} characters`));
    expect(checkRawInput({ parameters: { ["k".repeat(MAX_KEY_LENGTH)]: 1 } })).toBeNull();
  });

  it("bounds string length, with a larger bound for bulk fields", () => {
    const long = "x".repeat(MAX_STRING_LENGTH + 1);
    expect(checkRawInput({ message: long })).toEqual({
      field: "message",
      message: `message: must be at most ${MAX_STRING_LENGTH} characters (got ${MAX_STRING_LENGTH + 1})`,
    });
    expect(checkRawInput({ message: "x".repeat(MAX_STRING_LENGTH) })).toBeNull();
    // results.create's base64 and artifacts.create's data carry bytes and models.
    expect(checkRawInput({ base64: long })).toBeNull();
    expect(checkRawInput({ type: "model", data: { components: long } })).toBeNull();
    // Only at the top level, and NUL is still refused there.
    expect(checkRawInput({ parameters: { base64: long } })?.field).toBe("parameters.base64");
    expect(checkRawInput({ data: { s: "\u0000" } })?.field).toBe("data.s");
    expect(MAX_BULK_STRING_LENGTH).toBeGreaterThan(MAX_STRING_LENGTH);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH}, naming where`, () => {
    expect(checkRawInput(nestedArrays(MAX_JSON_DEPTH))).toBeNull();
    expect(checkRawInput({ parameters: nestedObjects(MAX_JSON_DEPTH - 1) })).toBeNull();
    const deep = checkRawInput({ parameters: nestedObjects(MAX_JSON_DEPTH) });
    expect(deep?.field).toBe("parameters.a.a.a.a.a.a.a");
    expect(deep?.message).toBe(`parameters.a.a.a.a.a.a.a.…: must not be nested deeper than ${MAX_JSON_DEPTH} levels`);
    const shallowButDeep = checkRawInput({ requirements: { x: nestedArrays(3) }, capabilities: nestedArrays(MAX_JSON_DEPTH) });
    expect(shallowButDeep?.field).toBe("capabilities.0.0.0.0.0.0.0");
  });

  it("walks a 100,000-deep value without overflowing the stack", () => {
    const problem = checkRawInput({ parameters: nestedArrays(100_000) });
    expect(problem?.field).toBe("parameters.0.0.0.0.0.0.0");
    expect(checkRawInput(nestedObjects(100_000))?.message).toMatch(/nested deeper than 64/);
  });

  it("reports the first problem in document order", () => {
    expect(checkRawInput({ a: "ok", b: "\u0000", c: "\u0000" })?.field).toBe("b");
    expect(checkRawInput(["ok", ["\u0000"], "\u0000"])?.field).toBe("1.0");
  });

  it("is fast on large flat inputs", () => {
    const big = { values: Array.from({ length: 200_000 }, (_, i) => ({ i, s: `v${i}` })) };
    const started = performance.now();
    expect(checkRawInput(big)).toBeNull();
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("JsonDepthScanner", () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it("passes shallow JSON, whatever its size, in any chunking", () => {
    const text = JSON.stringify({ a: [1, 2, { b: "[[[[{{{{ \\\" ]]" }], c: nestedArrays(MAX_JSON_DEPTH - 1) });
    const whole = new JsonDepthScanner();
    expect(whole.push(enc(text))).toBeNull();
    const bytewise = new JsonDepthScanner();
    for (const b of enc(text)) expect(bytewise.push(new Uint8Array([b]))).toBeNull();
  });

  it("refuses deep JSON and names the path, across chunks", () => {
    const scanner = new JsonDepthScanner();
    const text = `{"name":"x","parameters":{"list":[0,1,${"[".repeat(100)}`;
    let problem = null;
    for (let i = 0; i < text.length && !problem; i += 7) problem = scanner.push(enc(text.slice(i, i + 7)));
    expect(problem?.field).toBe("parameters.list.2.0.0.0.0.0");
    expect(problem?.message).toMatch(/^parameters\.list\.2\.0\.0\.0\.0\.0\.…: must not be nested deeper than 64 levels$/);
  });

  it("agrees with checkRawInput on where the limit is", () => {
    const ok = JSON.stringify(nestedArrays(MAX_JSON_DEPTH));
    const bad = JSON.stringify(nestedArrays(MAX_JSON_DEPTH + 1));
    expect(new JsonDepthScanner().push(enc(ok))).toBeNull();
    expect(new JsonDepthScanner().push(enc(bad))).not.toBeNull();
    expect(checkRawInput(JSON.parse(bad))).not.toBeNull();
  });

  it("skips the batch envelope's index", () => {
    const scanner = new JsonDepthScanner(MAX_JSON_DEPTH + 1, 1);
    const problem = scanner.push(enc(`{"0":{"parameters":${"[".repeat(MAX_JSON_DEPTH + 5)}`));
    expect(problem?.field).toBe("parameters.0.0.0.0.0.0.0");
    const fine = new JsonDepthScanner(MAX_JSON_DEPTH + 1, 1);
    expect(fine.push(enc(`{"0":${JSON.stringify(nestedArrays(MAX_JSON_DEPTH))}}`))).toBeNull();
  });

  it("refuses 50 MB of [ after reading only its start", () => {
    const scanner = new JsonDepthScanner();
    const chunk = enc("[".repeat(64 * 1024));
    const started = performance.now();
    expect(scanner.push(chunk)?.field).toBe("0.0.0.0.0.0.0.0");
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("handles keys with escapes and multibyte text", () => {
    const scanner = new JsonDepthScanner(3);
    expect(scanner.push(enc(`{"k\\"é":{"b":[[`))?.field).toBe('k\\"é.b.0');
  });
});
