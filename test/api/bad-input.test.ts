/**
 * Every procedure of the API, found at run time, gets a fixed set of malformed inputs over the
 * HTTP handler (queries as GET ?input=, mutations as POST): a NUL in each string, an unpaired
 * surrogate, a 2 MB string, 10,000-deep JSON in each object slot, wrong types for the whole
 * input and for each field, and unknown UUIDs. Inputs are built from each procedure's own zod
 * schema, so every other field is well-formed and the malformed one is what the server meets.
 *
 * None may answer 5xx, none may change a row of any table, and none may leave a file in the
 * blob store. Runs in auth-off mode: the single local user may call every procedure.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../server/api/root";
import { FilesystemBlobStore, setBlobStore } from "../../server/blobs";
import { useTestApi } from "../helpers/api";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface JsonSchema {
  type?: string | string[];
  anyOf?: JsonSchema[];
  enum?: Json[];
  const?: Json;
  format?: string;
  minimum?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  default?: Json;
}
type Segment = string | number;
interface Slot {
  path: Segment[];
  schema: JsonSchema;
  /** What JSON types the slot accepts; empty: anything (z.unknown). */
  types: Set<string>;
  isString: boolean;
  /** An object or array slot, or z.unknown: room for deep JSON. */
  takesStructure: boolean;
}

const procedures = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: string; inputs: z.ZodType[] } }> }).procedures;

function typesOf(schema: JsonSchema): Set<string> {
  const out = new Set<string>();
  const add = (s: JsonSchema) => {
    if (s.anyOf) s.anyOf.forEach(add);
    for (const t of [s.type ?? []].flat()) out.add(t === "integer" ? "number" : t);
    if (s.enum) for (const v of s.enum) out.add(v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  };
  add(schema);
  return out;
}

/** A well-formed value for a schema, recording every slot on the way. */
function sample(schema: JsonSchema, at: Segment[], slots: Slot[]): Json {
  const branch = schema.anyOf?.find((s) => s.type !== "null") ?? schema;
  const types = typesOf(schema);
  const record = (v: Json, isString: boolean, takesStructure: boolean): Json => {
    slots.push({ path: at, schema, types, isString, takesStructure });
    return v;
  };
  if (branch.enum) return record(branch.enum[0]!, typeof branch.enum[0] === "string", false);
  if (branch.const !== undefined) return record(branch.const, typeof branch.const === "string", false);
  switch (branch.type) {
    case "string":
      return record(
        branch.format === "uuid" ? randomUUID() : branch.format === "date-time" ? new Date(Date.now() + 3_600_000).toISOString() : branch.format === "email" ? "fuzz@example.com" : "fuzz",
        true,
        false,
      );
    case "integer":
    case "number":
      return record(branch.minimum !== undefined && branch.minimum > 1 ? branch.minimum : Math.max(branch.minimum ?? 1, 0), false, false);
    case "boolean":
      return record(false, false, false);
    case "array": {
      const items: Json[] = branch.items ? [sample(branch.items, [...at, 0], slots)] : [];
      return record(items, false, true);
    }
    case "object": {
      const out: Record<string, Json> = {};
      for (const [k, s] of Object.entries(branch.properties ?? {})) out[k] = sample(s, [...at, k], slots);
      if (!branch.properties && branch.additionalProperties !== false) out.k = 1;
      return record(out, false, true);
    }
    default:
      // z.unknown(): anything goes.
      return record({ a: 1 }, false, true);
  }
}

function setAt(value: Json, at: Segment[], replacement: Json): Json {
  if (at.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string, Json>;
  let node = copy as Record<Segment, Json>;
  for (const seg of at.slice(0, -1)) node = node[seg] as Record<Segment, Json>;
  node[at[at.length - 1]!] = replacement;
  return copy;
}

/**
 * 10,000-deep JSON, as text: too deep for JSON.stringify in a test worker's stack, so a case
 * holds this marker and the body gets the text in its place.
 */
const DEEP = "\u0001deep\u0001";
const DEEP_TEXT = `${'{"d":['.repeat(5_000)}1${"]}".repeat(5_000)}`;
const deep = (_depth: number): Json => DEEP;
const bodyOf = (input: Json) => JSON.stringify(input).replace(JSON.stringify(DEEP), DEEP_TEXT);

const TWO_MB = "x".repeat(2 * 1024 * 1024);
const BULK = new Set(["base64", "data"]); // top-level bulk fields, allowed long strings (see input-guard)
const WRONG: Json[] = [12345, "not-this", true, [1], { a: 1 }];
const jsonType = (v: Json) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

interface Case {
  label: string;
  input: Json;
}

function casesFor(input: z.ZodType | undefined): Case[] {
  const cases: Case[] = [
    { label: "whole input: a number", input: 42 },
    { label: "whole input: a string", input: "input" },
    { label: "whole input: an array", input: [] },
    { label: "whole input: null", input: null },
    { label: "whole input: 10,000 deep", input: deep(10_000) },
    { label: "whole input: NUL", input: "\u0000" },
  ];
  if (!input) return cases;
  const schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const slots: Slot[] = [];
  const base = sample(schema, [], slots);
  const fields = slots.filter((s) => s.path.length > 0);
  for (const slot of fields) {
    const name = slot.path.join(".");
    if (slot.isString) {
      cases.push({ label: `${name}: NUL`, input: setAt(base, slot.path, "fu\u0000zz") });
      cases.push({ label: `${name}: unpaired surrogate`, input: setAt(base, slot.path, "fu\ud800zz") });
      if (!(slot.path.length === 1 && BULK.has(String(slot.path[0])))) cases.push({ label: `${name}: 2 MB`, input: setAt(base, slot.path, TWO_MB) });
    }
    if (slot.takesStructure) {
      cases.push({ label: `${name}: 10,000 deep`, input: setAt(base, slot.path, deep(10_000)) });
      cases.push({ label: `${name}: NUL in a key`, input: setAt(base, slot.path, { "k\u0000": 1 }) });
      if (slot.types.size === 0 && !(slot.path.length === 1 && BULK.has(String(slot.path[0])))) {
        cases.push({ label: `${name}: 2 MB inside`, input: setAt(base, slot.path, { s: TWO_MB }) });
      }
    }
    if (slot.types.size > 0) {
      const wrong = WRONG.find((w) => !slot.types.has(jsonType(w)));
      if (wrong !== undefined) cases.push({ label: `${name}: wrong type (${jsonType(wrong)})`, input: setAt(base, slot.path, wrong) });
    }
  }
  const uuids = fields.filter((s) => s.schema.format === "uuid" || s.schema.anyOf?.some((b) => b.format === "uuid"));
  if (uuids.length) {
    // Well-formed UUIDs nothing has: NOT_FOUND, or a no-op (a goodbye from an unknown worker),
    // but never a write.
    let unknown = base;
    for (const slot of uuids) unknown = setAt(unknown, slot.path, randomUUID());
    cases.push({ label: "unknown UUIDs", input: unknown });
    for (const slot of uuids) cases.push({ label: `${slot.path.join(".")}: not a UUID`, input: setAt(base, slot.path, "00000000-not-a-uuid") });
  }
  return cases;
}

describe("malformed input to every procedure", () => {
  const api = useTestApi();
  let blobDir: string;

  async function rowCounts(): Promise<Record<string, number>> {
    const { rows } = (await api.db.execute(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    )) as unknown as { rows: { table_name: string }[] };
    const out: Record<string, number> = {};
    for (const { table_name: table } of rows) {
      const { rows: r } = (await api.db.execute(`select count(*)::int as n from "${table}"`)) as unknown as { rows: { n: number }[] };
      out[table] = Number(r[0]!.n);
    }
    return out;
  }

  const blobFiles = () =>
    fs.existsSync(blobDir) ? fs.readdirSync(blobDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;

  beforeAll(async () => {
    blobDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-fuzz-blobs-"));
    setBlobStore(new FilesystemBlobStore(blobDir));
    // Something for the refs in the samples ("fuzz") to find, so calls get past the lookups.
    const c = api.client();
    await c.workPools.create.mutate({ name: "fuzz", type: "process" });
    await c.workQueues.create.mutate({ workPool: "fuzz", name: "fuzz" });
    await c.deployments.create.mutate({
      flow: "fuzz",
      name: "fuzz",
      workPool: "fuzz",
      parameterSchema: { type: "object", properties: { a: { type: "string", pattern: "^(a+)+$" } } },
    });
    await c.flowRuns.create.mutate({ flow: "fuzz" });
    await c.concurrencyLimits.create.mutate({ tag: "fuzz", limit: 1 });
  });
  afterAll(() => {
    setBlobStore(undefined);
    fs.rmSync(blobDir, { recursive: true, force: true });
  });

  it(
    "never answers 5xx, changes no rows and leaves no blobs",
    async () => {
      const before = await rowCounts();
      const blobsBefore = blobFiles();
      const failures: string[] = [];
      const accepted: string[] = [];
      const noops: string[] = [];
      let calls = 0;
      let covered = 0;
      const statuses: Record<number, number> = {};
      for (const [name, procedure] of Object.entries(procedures)) {
        const { type, inputs } = procedure._def;
        covered++;
        for (const { label, input } of casesFor(inputs[0])) {
          const body = bodyOf(input);
          // A subscription is opened as a browser does (GET, an event stream); one still open
          // after a second has accepted the input, and is closed.
          const abort = new AbortController();
          const timer = type === "subscription" ? setTimeout(() => abort.abort(), 1_000) : undefined;
          const res =
            type === "mutation"
              ? await api.fetch(name, { method: "POST", headers: { "content-type": "application/json" }, body })
              : await api.fetch(`${name}?input=${encodeURIComponent(body)}`, type === "subscription" ? { headers: { accept: "text/event-stream" }, signal: abort.signal } : undefined);
          calls++;
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const text = await res.text().catch(() => "");
          clearTimeout(timer);
          if (res.status >= 500) failures.push(`${name} [${label}]: ${res.status} ${text.slice(0, 300)}`);
          else if (/"httpStatus":5\d\d/.test(text)) failures.push(`${name} [${label}]: a 5xx inside the stream: ${text.slice(0, 300)}`);
          else if (res.status < 300 && type === "mutation" && label !== "unknown UUIDs") accepted.push(`${name} [${label}]`);
          else if (res.status < 300 && label === "unknown UUIDs") noops.push(name);
        }
        const now = await rowCounts();
        const changed = Object.keys(now).filter((t) => now[t] !== before[t]);
        if (changed.length) failures.push(`${name}: rows changed in ${changed.map((t) => `${t} ${before[t]} -> ${now[t]}`).join(", ")}`);
        if (blobFiles() !== blobsBefore) failures.push(`${name}: left ${blobFiles() - blobsBefore} file(s) in the blob store`);
      }
      console.log(
        `bad input: ${covered} procedures, ${calls} malformed calls; statuses ${JSON.stringify(statuses)}` +
          (noops.length ? `; answered unknown UUIDs as a no-op: ${noops.join(", ")}` : "") +
          (accepted.length ? `; mutations that accepted a malformed input: ${accepted.join(", ")}` : ""),
      );
      expect(covered).toBe(Object.keys(procedures).length);
      expect(failures).toEqual([]);
      expect(accepted).toEqual([]);
      expect(await rowCounts()).toEqual(before);
      expect(blobFiles()).toBe(blobsBefore);
    },
    240_000,
  );
});
