/**
 * Deployment parameters and their JSON schema. Schemas are compiled with one Ajv instance and
 * cached by content, because the same few schemas are checked on every run of a deployment.
 *
 * A schema is the caller's code as far as the server is concerned, so nothing in it may stall
 * the process:
 *   - `pattern` and `patternProperties` run on RE2 (re2js), which matches in time linear in the
 *     text, not on JavaScript's backtracking RegExp (`^(a+)+$` froze the server for 41 s). A
 *     pattern RE2 cannot express (backreferences, lookaround) is refused when the schema is saved.
 *   - a schema has at most MAX_SCHEMA_BYTES of JSON and MAX_SCHEMA_NODES subschemas (compile
 *     time), no `$ref` loop that stays on one value (infinite), and `uniqueItems` is checked in
 *     linear time (Ajv's is quadratic).
 *   - each check has a budget: schema nodes × values they apply to, and pattern size × text
 *     length. Parameters beyond it are refused as too large to check, rather than checked for
 *     seconds (an `anyOf` of two `$ref: "#"` doubles the work at every level of nesting).
 */
import Ajv, { type ErrorObject, type Options as AjvOptions, type ValidateFunction } from "ajv";
import { RE2JS } from "re2js";
import { AppError } from "../errors";

/** The largest parameter schema, as JSON. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/** Subschemas in one parameter schema (Ajv takes ~0.2 ms to compile each: 500 is ~0.1 s). */
export const MAX_SCHEMA_NODES = 500;
/** The longest `pattern` (or `patternProperties` key). */
export const MAX_PATTERN_LENGTH = 1_000;
/** The largest compiled RE2 program for one pattern (`a{1000}` is 1,000 instructions). */
export const MAX_PATTERN_INSTRUCTIONS = 5_000;
/** (schema node, value) pairs one check may visit: ~0.1 s at Ajv's worst ~50 ns a pair. */
export const VALIDATION_BUDGET = 2_000_000;
/** RE2 instructions × characters one check may spend on patterns: ~0.1 s at RE2's worst. */
export const PATTERN_BUDGET = 5_000_000;

const DEPTHS = 65;

// ---------------------------------------------------------------------------------------------
// Patterns on RE2
// ---------------------------------------------------------------------------------------------

class PatternBudgetExceeded extends Error {}

/** What the running check may still spend on patterns (checks are synchronous: one at a time). */
let patternBudget = Number.POSITIVE_INFINITY;

class Re2Pattern {
  constructor(
    readonly source: string,
    private readonly re: RE2JS,
    private readonly instructions: number,
  ) {}
  test(s: string): boolean {
    patternBudget -= this.instructions * (s.length + 1);
    if (patternBudget < 0) throw new PatternBudgetExceeded();
    return this.re.test(s);
  }
  toString(): string {
    return `re2:${this.source}`;
  }
}

const patterns = new Map<string, Re2Pattern>();

/** Why RE2 cannot take a pattern, in words a schema author can act on. */
function patternRefusal(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  // re2js would read `\k<name>` as the letter k; RE2 has no backreferences at all.
  if (/(^|[^\\])(\\\\)*\\(k<|[1-9])/.test(pattern)) return "uses a backreference, which RE2 does not support";
  if (/\(\?<?[=!]/.test(pattern)) return "uses lookahead or lookbehind, which RE2 does not support";
  // Counted repetition is where RE2 programs get large: refuse before compiling, not after.
  let estimate = 0;
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) estimate += Math.max(Number(m[1]), Number(m[2] || 0));
  if (estimate > MAX_PATTERN_INSTRUCTIONS) return `repeats too much (counted repetitions add up to ${estimate}; at most ${MAX_PATTERN_INSTRUCTIONS})`;
  return null;
}

/** Compiles a JSON-schema pattern on RE2; throws an Error whose message says why it cannot. */
export function compilePattern(pattern: string): Re2Pattern {
  let compiled = patterns.get(pattern);
  if (compiled) return compiled;
  const refusal = patternRefusal(pattern);
  if (refusal) throw new Error(refusal);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    throw new Error(`is not a regular expression RE2 can run (${(err as Error).message})`);
  }
  const instructions = (re.re2() as unknown as { prog: { numInst(): number } }).prog.numInst();
  if (instructions > MAX_PATTERN_INSTRUCTIONS) {
    throw new Error(`is too complex (${instructions} RE2 instructions; at most ${MAX_PATTERN_INSTRUCTIONS})`);
  }
  if (patterns.size >= 2_000) patterns.clear();
  compiled = new Re2Pattern(pattern, re, instructions);
  patterns.set(pattern, compiled);
  return compiled;
}

type RegExpEngine = NonNullable<NonNullable<AjvOptions["code"]>["regExp"]>;

const re2Engine: RegExpEngine = Object.assign((pattern: string) => compilePattern(pattern), { code: "re2js" });

// ---------------------------------------------------------------------------------------------
// uniqueItems in linear time
// ---------------------------------------------------------------------------------------------

/** JSON with object keys sorted: equal values (as JSON schema means it) give equal strings. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function uniqueItems(schema: unknown, data: unknown): boolean {
  if (schema !== true || !Array.isArray(data)) return true;
  // Primitives by value (a Set treats 0 and -0 alike, as JSON schema does), one set per type.
  const numbers = new Set<number>();
  const strings = new Set<string>();
  const others = new Set<string>();
  for (const item of data) {
    const set: Set<unknown> = typeof item === "number" ? numbers : typeof item === "string" ? strings : others;
    const key = typeof item === "number" || typeof item === "string" ? item : canonical(item);
    if (set.has(key)) return false;
    set.add(key);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Ajv
// ---------------------------------------------------------------------------------------------

// strict: false because schemas generated from code (Prefect's among them) carry extra keywords
// such as `position`; the meta-schema still rejects a schema that is malformed. inlineRefs:
// false compiles each $ref target once, so compile time follows the schema's size.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, inlineRefs: false, code: { regExp: re2Engine } });
ajv.removeKeyword("uniqueItems");
ajv.addKeyword({
  keyword: "uniqueItems",
  type: "array",
  schemaType: "boolean",
  error: { message: "must NOT have duplicate items" },
  validate: uniqueItems,
});

/** How a subschema reaches the values it applies to, from the value its parent applies to. */
type Edge =
  | { to: number; kind: "same" } // allOf, anyOf, not, if, $ref…: the same value
  | { to: number; kind: "property"; key: string } // properties.<key>
  | { to: number; kind: "values" } // additionalProperties, patternProperties: every property value
  | { to: number; kind: "keys" } // propertyNames: every key, as a string
  | { to: number; kind: "items" } // items (one schema), contains, additionalItems: every item
  | { to: number; kind: "item"; index: number }; // items (a list), prefixItems: one item

interface SchemaNode {
  /** Work at each value it applies to: 1, plus its enum, const and required lists. */
  own: number;
  /** It goes over the value's keys or items itself (additionalProperties, uniqueItems…). */
  loops: boolean;
  /** uniqueItems: it reads every item whole. */
  readsItems: boolean;
  edges: Edge[];
}

interface CompiledSchema {
  validate: ValidateFunction;
  nodes: SchemaNode[];
  /** An upper bound of the nodes that can apply at each depth of a value (0: the parameters). */
  nodesAt: Float64Array;
  /** Of those, the ones that loop over the value's keys or items. */
  loopsAt: Float64Array;
}

const compiled = new Map<string, CompiledSchema>();
const MAX_CACHED = 500;

class SchemaRefusal extends Error {}

const SAME_VALUE_LISTS = ["allOf", "anyOf", "oneOf"];
const SAME_VALUE_ONE = ["not", "if", "then", "else"];
const SAME_VALUE_MAPS = ["dependencies", "dependentSchemas"];
const VALUES_ONE = ["additionalProperties", "unevaluatedProperties"];
const ITEMS_ONE = ["additionalItems", "contains", "unevaluatedItems"];
const DEFINITION_MAPS = ["definitions", "$defs"];
const LOOPING = ["additionalProperties", "patternProperties", "propertyNames", "unevaluatedProperties", "uniqueItems", "unevaluatedItems"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function resolvePointer(root: Record<string, unknown>, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) {
    throw new SchemaRefusal(`$ref "${ref}": only references inside the schema (starting with "#/") are supported`);
  }
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    } catch {
      throw new SchemaRefusal(`$ref "${ref}" is not a valid JSON pointer`);
    }
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    if (node === undefined) throw new SchemaRefusal(`$ref "${ref}" points at nothing in the schema`);
  }
  return node;
}

/**
 * Checks a schema's size, its patterns and its `$ref`s, and builds the graph of its subschemas
 * (following `$ref`) with an upper bound of how many can apply at each depth of a value (a
 * recursive schema counts as often as it recurses). Throws SchemaRefusal naming the place.
 */
function analyse(root: Record<string, unknown>): Pick<CompiledSchema, "nodes" | "nodesAt" | "loopsAt"> {
  const ids = new Map<Record<string, unknown>, number>();
  const nodes: SchemaNode[] = [];
  const where: string[] = [];
  const pending: number[] = [];
  const schemas: Record<string, unknown>[] = [];
  const visit = (schema: unknown, path: string): number | undefined => {
    if (!isObject(schema)) return undefined;
    let id = ids.get(schema);
    if (id !== undefined) return id;
    if (nodes.length >= MAX_SCHEMA_NODES) throw new SchemaRefusal(`has more than ${MAX_SCHEMA_NODES} subschemas`);
    id = nodes.length;
    ids.set(schema, id);
    const listSize = (v: unknown) => (Array.isArray(v) ? v.length : 0);
    nodes.push({
      own: 1 + listSize(schema.enum) + listSize(schema.required) + ("const" in schema ? 1 : 0),
      loops: LOOPING.some((k) => k in schema),
      readsItems: schema.uniqueItems === true,
      edges: [],
    });
    where.push(path);
    schemas.push(schema);
    pending.push(id);
    return id;
  };
  const rootId = visit(root, "")!;
  while (pending.length) {
    const id = pending.pop()!;
    const schema = schemas[id]!;
    const edges = nodes[id]!.edges;
    const at = (k: string | number) => (where[id] ? `${where[id]}.${k}` : String(k));
    type EdgeOf<E> = E extends Edge ? Omit<E, "to"> : never;
    const link = (value: unknown, path: string, edge: EdgeOf<Edge>) => {
      const to = visit(value, path);
      if (to !== undefined) edges.push({ ...edge, to } as Edge);
    };
    const checkPattern = (pattern: string, keyword: string) => {
      try {
        compilePattern(pattern);
      } catch (err) {
        throw new SchemaRefusal(`${at(keyword)}: the pattern ${JSON.stringify(pattern)} ${(err as Error).message}`);
      }
    };
    if (where[id] && typeof schema.$id === "string") throw new SchemaRefusal(`${at("$id")}: $id is only allowed at the top of the schema`);
    if (typeof schema.pattern === "string") checkPattern(schema.pattern, "pattern");
    if (typeof schema.$ref === "string") link(resolvePointer(root, schema.$ref), schema.$ref.slice(2).replaceAll("/", "."), { kind: "same" });
    for (const k of SAME_VALUE_LISTS) if (Array.isArray(schema[k])) (schema[k] as unknown[]).forEach((s, i) => link(s, at(`${k}.${i}`), { kind: "same" }));
    for (const k of SAME_VALUE_ONE) link(schema[k], at(k), { kind: "same" });
    for (const k of SAME_VALUE_MAPS) if (isObject(schema[k])) for (const [name, s] of Object.entries(schema[k])) link(s, at(`${k}.${name}`), { kind: "same" });
    if (isObject(schema.properties)) for (const [key, s] of Object.entries(schema.properties)) link(s, at(`properties.${key}`), { kind: "property", key });
    if (isObject(schema.patternProperties)) {
      for (const [pattern, s] of Object.entries(schema.patternProperties)) {
        checkPattern(pattern, "patternProperties");
        link(s, at(`patternProperties.${pattern}`), { kind: "values" });
      }
    }
    for (const k of VALUES_ONE) link(schema[k], at(k), { kind: "values" });
    link(schema.propertyNames, at("propertyNames"), { kind: "keys" });
    for (const k of ITEMS_ONE) link(schema[k], at(k), { kind: "items" });
    for (const k of ["items", "prefixItems"]) {
      if (Array.isArray(schema[k])) (schema[k] as unknown[]).forEach((s, index) => link(s, at(`${k}.${index}`), { kind: "item", index }));
      else link(schema[k], at(k), { kind: "items" });
    }
    // Not applied unless referred to, but compiled and checked all the same.
    for (const k of DEFINITION_MAPS) if (isObject(schema[k])) for (const [name, s] of Object.entries(schema[k])) visit(s, at(`${k}.${name}`));
  }

  // Nodes in an order where every node comes after the nodes it applies to the same value;
  // a loop there ({"anyOf": [{"$ref": "#"}]}) would recurse forever on any value.
  const order: number[] = [];
  const state = new Uint8Array(nodes.length);
  for (let start = 0; start < nodes.length; start++) {
    if (state[start]) continue;
    const stack: { id: number; next: number }[] = [{ id: start, next: 0 }];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const edges = nodes[top.id]!.edges;
      while (top.next < edges.length && edges[top.next]!.kind !== "same") top.next++;
      const edge = edges[top.next++];
      if (!edge) {
        state[top.id] = 2;
        order.push(top.id);
        stack.pop();
      } else if (state[edge.to] === 1) {
        throw new SchemaRefusal(
          `${where[edge.to] || "the schema"} refers back to itself without going into a property or item (a $ref loop no value can get out of)`,
        );
      } else if (!state[edge.to]) {
        state[edge.to] = 1;
        stack.push({ id: edge.to, next: 0 });
      }
    }
  }
  const nodesAt = nodes.map(() => new Float64Array(DEPTHS));
  const loopsAt = nodes.map(() => new Float64Array(DEPTHS));
  for (let d = 0; d < DEPTHS; d++) {
    for (const id of order) {
      const node = nodes[id]!;
      let w = d === 0 ? node.own : 0;
      let l = d === 0 && node.loops ? 1 : 0;
      for (const edge of node.edges) {
        const from = edge.kind === "same" ? d : d - 1;
        if (from < 0) continue;
        w += nodesAt[edge.to]![from]!;
        l += loopsAt[edge.to]![from]!;
      }
      nodesAt[id]![d] = w;
      loopsAt[id]![d] = l;
    }
  }
  return { nodes, nodesAt: nodesAt[rootId]!, loopsAt: loopsAt[rootId]! };
}

/** Nodes in a value's tree, counted up to `limit` and no further. */
function treeSize(value: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length && count <= limit) {
    const v = stack.pop();
    count++;
    if (v && typeof v === "object") for (const child of Object.values(v)) stack.push(child);
  }
  return count;
}

/**
 * The (schema node, value) pairs a check of these parameters can visit, counted by walking
 * both together as the validator would (every branch taken), stopping once past `limit`.
 */
function pairsVisited(nodes: SchemaNode[], parameters: unknown, limit: number): number {
  let count = 0;
  const stack: { id: number; v: unknown }[] = [{ id: 0, v: parameters }];
  while (stack.length && count <= limit) {
    const { id, v } = stack.pop()!;
    const node = nodes[id]!;
    const isArray = Array.isArray(v);
    const isObj = isObject(v);
    count += node.own;
    if (node.loops && (isArray || isObj)) count += Object.keys(v as object).length;
    if (node.readsItems && isArray) count += treeSize(v, limit - count);
    for (const edge of node.edges) {
      switch (edge.kind) {
        case "same":
          stack.push({ id: edge.to, v });
          break;
        case "property":
          if (isObj && Object.hasOwn(v, edge.key)) stack.push({ id: edge.to, v: (v as Record<string, unknown>)[edge.key] });
          break;
        case "values":
          if (isObj) for (const child of Object.values(v as object)) stack.push({ id: edge.to, v: child });
          break;
        case "keys":
          if (isObj) for (const key of Object.keys(v as object)) stack.push({ id: edge.to, v: key });
          break;
        case "items":
          if (isArray) for (const child of v as unknown[]) stack.push({ id: edge.to, v: child });
          break;
        case "item":
          if (isArray && edge.index < (v as unknown[]).length) stack.push({ id: edge.to, v: (v as unknown[])[edge.index] });
          break;
      }
    }
  }
  return count;
}

function compile(schema: Record<string, unknown>): CompiledSchema {
  // A top-level $id would make a second, different schema with the same id fail to compile.
  const { $id: _ignored, ...rest } = schema;
  const key = JSON.stringify(rest);
  let entry = compiled.get(key);
  if (!entry) {
    if (Buffer.byteLength(key) > MAX_SCHEMA_BYTES) throw new SchemaRefusal(`is larger than ${MAX_SCHEMA_BYTES} bytes of JSON`);
    const profile = analyse(rest);
    if (compiled.size >= MAX_CACHED) {
      compiled.clear();
      ajv.removeSchema();
    }
    entry = { validate: ajv.compile(rest), ...profile };
    compiled.set(key, entry);
  }
  return entry;
}

/** Throws BAD_REQUEST on `parameterSchema` when the schema itself is not a valid JSON schema, or one Baton will not run. */
export function checkParameterSchema(schema: Record<string, unknown>): void {
  try {
    compile(schema);
  } catch (err) {
    if (err instanceof SchemaRefusal) {
      throw AppError.badRequest(`parameterSchema: ${err.message}`, "parameterSchema");
    }
    throw AppError.badRequest(`parameterSchema: is not a valid JSON schema (${(err as Error).message})`, "parameterSchema");
  }
}

/** Values at each depth of the parameters (0: the object itself), counted without recursion. */
function valuesAt(parameters: unknown): Float64Array {
  const counts = new Float64Array(DEPTHS + 1);
  const values: unknown[] = [parameters];
  const depths: number[] = [0];
  while (values.length) {
    const v = values.pop();
    const d = depths.pop()!;
    counts[d < DEPTHS ? d : DEPTHS]! += 1;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const child: unknown = v[i];
        if (child !== null && typeof child === "object") {
          values.push(child);
          depths.push(d + 1);
        } else counts[d + 1 < DEPTHS ? d + 1 : DEPTHS]! += 1;
      }
    } else if (v !== null && typeof v === "object") {
      for (const child of Object.values(v)) {
        values.push(child);
        depths.push(d + 1);
      }
    }
  }
  return counts;
}

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === "required" && params.missingProperty) segments.push(params.missingProperty);
  if (error.keyword === "additionalProperties" && params.additionalProperty) segments.push(params.additionalProperty);
  return ["parameters", ...segments].join(".");
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === "required") return "is required";
  if (error.keyword === "additionalProperties") return "is not an allowed parameter";
  return error.message ?? "is not valid";
}

/**
 * Checks parameters against a deployment's schema. Throws BAD_REQUEST naming every field at
 * fault (`parameters.count: must be integer`); the error's field is the first of them.
 * `partial` skips `required`: a deployment's defaults need not supply what each run supplies.
 */
export function checkParameters(opts: {
  schema: Record<string, unknown>;
  parameters: Record<string, unknown>;
  partial?: boolean;
}): void {
  let entry: CompiledSchema;
  try {
    entry = compile(opts.schema);
  } catch (err) {
    // A schema saved before today's rules: say so rather than fail as a 500.
    throw AppError.badRequest(`the deployment's parameterSchema cannot be used (${(err as Error).message}); update the deployment`, "parameterSchema");
  }
  // A cheap bound first (schema nodes by depth × values by depth); only when that is over the
  // budget, the exact walk, which stops as soon as it is over too.
  const values = valuesAt(opts.parameters);
  let cost = 0;
  let below = 0; // values deeper than d: what a looping node (uniqueItems reads items whole) can read
  for (let d = DEPTHS - 1; d >= 0; d--) {
    cost += entry.nodesAt[d]! * values[d]! + entry.loopsAt[d]! * below;
    below += values[d]!;
  }
  if (cost > VALIDATION_BUDGET) cost = pairsVisited(entry.nodes, opts.parameters, VALIDATION_BUDGET);
  if (cost > VALIDATION_BUDGET) {
    throw AppError.badRequest(
      `parameters: too large to check against this deployment's parameterSchema (more than ${VALIDATION_BUDGET} schema checks): send fewer or shallower values, or use a simpler schema`,
      "parameters",
    );
  }
  let valid: boolean;
  patternBudget = PATTERN_BUDGET;
  try {
    valid = entry.validate(opts.parameters) as boolean;
  } catch (err) {
    if (err instanceof PatternBudgetExceeded) {
      throw AppError.badRequest(
        `parameters: text too long to check against this deployment's patterns (at most ${PATTERN_BUDGET} RE2 steps per check)`,
        "parameters",
      );
    }
    throw err;
  } finally {
    patternBudget = Number.POSITIVE_INFINITY;
  }
  if (valid) return;
  const errors = (entry.validate.errors ?? []).filter((e) => !(opts.partial && e.keyword === "required"));
  if (errors.length === 0) return;
  const first = fieldOf(errors[0]!);
  const message = errors.map((e) => `${fieldOf(e)}: ${messageOf(e)}`).join("; ");
  throw AppError.badRequest(message, first);
}
