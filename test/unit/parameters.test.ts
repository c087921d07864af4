import { describe, expect, it } from "vitest";
import { AppError } from "../../server/errors";
import {
  checkParameters,
  checkParameterSchema,
  MAX_PATTERN_INSTRUCTIONS,
  MAX_SCHEMA_NODES,
  PATTERN_BUDGET,
  VALIDATION_BUDGET,
} from "../../server/domain/parameters";

function refusal(f: () => void): AppError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BAD_REQUEST");
    return err as AppError;
  }
  throw new Error("expected BAD_REQUEST, but it passed");
}

function timed(f: () => void): number {
  const started = performance.now();
  try {
    f();
  } catch {
    // timing only
  }
  return performance.now() - started;
}

const stringWith = (pattern: string) => ({ type: "object", properties: { s: { type: "string", pattern } } });

describe("patterns run on RE2", () => {
  it("checks a catastrophic pattern in linear time", () => {
    const schema = stringWith("^(a+)+$");
    checkParameterSchema(schema);
    checkParameters({ schema, parameters: { s: "aaaa" } });
    // 50,000 a's and a "!" is centuries for a backtracking engine.
    const err = refusal(() => checkParameters({ schema, parameters: { s: `${"a".repeat(50_000)}!` } }));
    expect(err.message).toBe('parameters.s: must match pattern "^(a+)+$"');
    expect(timed(() => checkParameters({ schema, parameters: { s: `${"a".repeat(50_000)}!` } }))).toBeLessThan(500);
  });

  it("keeps JavaScript pattern syntax (\\d, \\p{L}, escaped slashes, unanchored search)", () => {
    checkParameters({ schema: stringWith("^\\d{3}-\\p{L}+\\/x$"), parameters: { s: "123-é/x" } });
    checkParameters({ schema: stringWith("b"), parameters: { s: "abc" } });
    expect(refusal(() => checkParameters({ schema: stringWith("^\\d{3}$"), parameters: { s: "12a" } })).field).toBe("parameters.s");
    checkParameters({ schema: { type: "object", patternProperties: { "^x-": { type: "number" } } }, parameters: { "x-a": 1, y: "s" } });
    expect(
      refusal(() => checkParameters({ schema: { type: "object", patternProperties: { "^x-": { type: "number" } } }, parameters: { "x-a": "no" } }))
        .field,
    ).toBe("parameters.x-a");
  });

  it.each([
    ["(\\w)\\1", /backreference/],
    ["(?<y>a)\\k<y>", /backreference/],
    ["a(?=b)", /lookahead or lookbehind/],
    ["(?<!a)b", /lookahead or lookbehind/],
    ["[", /is not a regular expression RE2 can run \(.*missing closing \]/],
    ["[\\s\\S]{1000}".repeat(6), /repeats too much/],
    ["\\w{1,1000}\\w{1,1000}\\w{1,1000}", new RegExp(`too complex \\(\\d+ RE2 instructions; at most ${MAX_PATTERN_INSTRUCTIONS}\\)`)],
    ["x".repeat(1001), /longer than 1000 characters/],
  ])("refuses %s when the schema is saved, naming where", (pattern, reason) => {
    const err = refusal(() => checkParameterSchema({ type: "object", properties: { code: { type: "string", pattern } } }));
    expect(err.field).toBe("parameterSchema");
    expect(err.message).toMatch(/^parameterSchema: properties\.code\.pattern: the pattern /);
    expect(err.message).toMatch(reason);
  });

  it("refuses patternProperties keys RE2 cannot run", () => {
    const err = refusal(() => checkParameterSchema({ type: "object", patternProperties: { "^(?!internal)": {} } }));
    expect(err.message).toMatch(/^parameterSchema: patternProperties: the pattern "\^\(\?!internal\)" uses lookahead/);
  });

  it("bounds the pattern work one check may do", () => {
    const err = refusal(() => checkParameters({ schema: stringWith("^[a-z ]+$"), parameters: { s: "abc ".repeat(PATTERN_BUDGET / 4) } }));
    expect(err.message).toMatch(/^parameters: text too long to check against this deployment's patterns/);
    // The budget is per check: the next one starts afresh.
    checkParameters({ schema: stringWith("^[a-z ]+$"), parameters: { s: "abc" } });
  });
});

describe("schema size and shape", () => {
  it("refuses a schema with too many subschemas", () => {
    const schema = { allOf: Array.from({ length: MAX_SCHEMA_NODES }, () => ({ type: "object" })) };
    expect(refusal(() => checkParameterSchema(schema)).message).toBe(`parameterSchema: has more than ${MAX_SCHEMA_NODES} subschemas`);
  });

  it("refuses a schema over 64 KiB", () => {
    const schema = { type: "object", description: "x".repeat(70_000) };
    expect(refusal(() => checkParameterSchema(schema)).message).toMatch(/larger than 65536 bytes/);
  });

  it("refuses $ref loops that never reach a property or item, and references outside the schema", () => {
    expect(refusal(() => checkParameterSchema({ anyOf: [{ $ref: "#" }] })).message).toMatch(/refers back to itself/);
    expect(refusal(() => checkParameterSchema({ definitions: { a: { $ref: "#/definitions/b" }, b: { allOf: [{ $ref: "#/definitions/a" }] } }, $ref: "#/definitions/a" })).message).toMatch(
      /refers back to itself/,
    );
    expect(refusal(() => checkParameterSchema({ properties: { a: { $ref: "https://example.com/s.json" } } })).message).toMatch(
      /only references inside the schema/,
    );
    expect(refusal(() => checkParameterSchema({ properties: { a: { $ref: "#/definitions/missing" } } })).message).toMatch(/points at nothing/);
  });

  it("accepts recursive schemas that recurse through properties or items", () => {
    const schema = {
      type: "object",
      properties: { tree: { $ref: "#/$defs/node" } },
      $defs: { node: { type: "object", properties: { v: { type: "number" }, kids: { type: "array", items: { $ref: "#/$defs/node" } } } } },
    };
    checkParameterSchema(schema);
    checkParameters({ schema, parameters: { tree: { v: 1, kids: [{ v: 2, kids: [] }] } } });
    expect(refusal(() => checkParameters({ schema, parameters: { tree: { v: 1, kids: [{ v: "x" }] } } })).field).toBe("parameters.tree.kids.0.v");
  });

  it("still explains a malformed schema", () => {
    expect(refusal(() => checkParameterSchema({ type: "objekt" })).message).toMatch(/^parameterSchema: is not a valid JSON schema/);
  });
});

describe("the work one check may do is bounded", () => {
  it("refuses deep parameters under a schema whose work doubles at each level", () => {
    // Both branches of the anyOf recurse: 2^depth evaluations.
    const schema = { type: "object", anyOf: [{ properties: { a: { $ref: "#" } } }, { properties: { a: { $ref: "#" } } }] };
    checkParameterSchema(schema);
    let shallow: Record<string, unknown> = {};
    for (let i = 0; i < 8; i++) shallow = { a: shallow };
    checkParameters({ schema, parameters: shallow });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const ms = timed(() => checkParameters({ schema, parameters: deep }));
    expect(refusal(() => checkParameters({ schema, parameters: deep })).message).toMatch(
      new RegExp(`^parameters: too large to check against this deployment's parameterSchema \\(more than ${VALIDATION_BUDGET} schema checks\\)`),
    );
    expect(ms).toBeLessThan(1_000);
  });

  it("checks uniqueItems in linear time", () => {
    const schema = { type: "object", properties: { a: { type: "array", uniqueItems: true } } };
    expect(refusal(() => checkParameters({ schema, parameters: { a: [{ x: 1, y: [2] }, { y: [2], x: 1 }] } })).message).toBe(
      "parameters.a: must NOT have duplicate items",
    );
    expect(refusal(() => checkParameters({ schema, parameters: { a: [0, 1, -0] } })).field).toBe("parameters.a");
    checkParameters({ schema, parameters: { a: [1, "1", [1], { a: 1 }, null, true] } });
    // Ajv's own check compares every pair: 20,000 objects took it 7.6 s.
    const many = Array.from({ length: 20_000 }, (_, i) => ({ id: i }));
    expect(timed(() => checkParameters({ schema, parameters: { a: many } }))).toBeLessThan(1_000);
  });

  it("lets large flat parameters through a small schema", () => {
    const schema = {
      type: "object",
      properties: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, { type: "array", items: { type: "number" } }])),
    };
    checkParameters({ schema, parameters: { p0: Array.from({ length: 200_000 }, (_, i) => i) } });
  });
});
