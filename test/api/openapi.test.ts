/**
 * The OpenAPI document (server/api/openapi.ts, served at GET /api/openapi.json): one operation
 * per procedure, structurally sound (every $ref resolves, every schema compiles under JSON
 * Schema 2020-12 in Ajv's strict mode), and true to the wire: a request built from the
 * document's schema is accepted over HTTP and the answers match the document's schemas.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { GET as getOpenApiRoute } from "../../app/api/openapi.json/route";
import { buildOpenApiDocument, SESSION_COOKIE } from "../../server/api/openapi";
import { appRouter } from "../../server/api/root";
import { useTestApi } from "../helpers/api";

type Json = Record<string, unknown>;
type Operation = Json & { operationId: string; responses: Json; parameters?: Json[]; requestBody?: Json; tags?: string[] };

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const DOC_ID = "https://baton.invalid/openapi.json";

const doc = buildOpenApiDocument() as unknown as Json & { paths: Record<string, Record<string, Operation>>; components: Json };
const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;

function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method]! })),
  );
}

/** JSON pointer escaping, for Ajv's fragment ids and $ref values. */
const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function resolvePointer(ref: string): unknown {
  expect(ref.startsWith("#/"), `only local refs are used: ${ref}`).toBe(true);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** A parameter, response or schema, following a `$ref` to the component. */
function deref<T>(value: T): T {
  const ref = (value as { $ref?: string }).$ref;
  return ref ? (resolvePointer(ref) as T) : value;
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => allRefs(n, found));
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

/** Ajv over the whole document: every schema in it is compiled where it sits, so its `#/components/…` refs resolve. */
function documentAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // The document's non-schema parts, and OpenAPI's extra schema keywords.
  ajv.addVocabulary(["openapi", "info", "servers", "tags", "security", "paths", "components", "discriminator", "xml", "externalDocs", "example"]);
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // The other formats JSON Schema 2020-12 defines (zod renders z.email() and the like with them):
  // known, not checked here. A format outside the standard still fails to compile.
  const standard = ["date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer", "relative-json-pointer", "regex"];
  for (const format of standard) ajv.addFormat(format, true);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return {
    at(...segments: string[]): ValidateFunction {
      const validate = ajv.getSchema(`${DOC_ID}#/${pointer(...segments)}`);
      if (!validate) throw new Error(`no schema at ${segments.join(" > ")}`);
      return validate;
    },
  };
}

/** Where in the document an operation's schemas are. */
function schemaPaths(path: string, method: string, op: Operation): string[][] {
  const found: string[][] = [];
  (op.parameters ?? []).forEach((p, i) => {
    const param = deref(p) as Json & { content?: Record<string, unknown> };
    if ((p as { $ref?: string }).$ref) {
      const name = (p as { $ref: string }).$ref.split("/").pop()!;
      found.push(["components", "parameters", name, "schema"]);
    } else if (param.content) found.push(["paths", path, method, "parameters", String(i), "content", "application/json", "schema"]);
    else found.push(["paths", path, method, "parameters", String(i), "schema"]);
  });
  if (op.requestBody) found.push(["paths", path, method, "requestBody", "content", "application/json", "schema"]);
  for (const [status, response] of Object.entries(op.responses)) {
    const ref = (response as { $ref?: string }).$ref;
    const base = ref ? ref.slice(2).split("/") : ["paths", path, method, "responses", status];
    const content = (deref(response) as { content?: Record<string, unknown> }).content ?? {};
    for (const type of Object.keys(content)) found.push([...base, "content", type, "schema"]);
  }
  return found;
}

/** The smallest value a schema accepts, from its required parts: a request built from the document alone. */
function sample(schema: Json): unknown {
  const s = deref(schema);
  if (Array.isArray(s.enum)) return s.enum[0];
  if ("const" in s) return s.const;
  if (Array.isArray(s.anyOf)) return sample(s.anyOf[0] as Json);
  if (Array.isArray(s.oneOf)) return sample(s.oneOf[0] as Json);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, Json>;
      return Object.fromEntries(((s.required ?? []) as string[]).map((key) => [key, sample(properties[key]!)]));
    }
    case "array":
      return [];
    case "string":
      return "openapi-sample".slice(0, Math.max(Number(s.maxLength ?? 14), Number(s.minLength ?? 1)));
    case "integer":
    case "number":
      return Number(s.minimum ?? 0);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

describe("OpenAPI document", () => {
  it("has one operation per procedure: tRPC's method, the router as tag, the path as operationId", () => {
    const ops = operations();
    expect(ops.length).toBe(Object.keys(procedures).length);
    expect(new Set(ops.map((o) => o.op.operationId)).size).toBe(ops.length);
    for (const { path, method, op } of ops) {
      const procedure = procedures[op.operationId];
      expect(procedure, `${op.operationId} is a procedure`).toBeDefined();
      expect(path).toBe(`/api/trpc/${op.operationId}`);
      expect(method).toBe(procedure!._def.type === "mutation" ? "post" : "get");
      expect(op["x-trpc-type"]).toBe(procedure!._def.type);
      expect(op.tags).toEqual([op.operationId.split(".")[0]]);
      if (method === "get") expect(op.requestBody).toBeUndefined();
    }
    const tags = (doc.tags as { name: string }[]).map((t) => t.name);
    expect(new Set(ops.flatMap((o) => o.op.tags ?? []))).toEqual(new Set(tags));
  });

  it("is structurally sound: every $ref resolves, every operation has responses, every schema compiles", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect((doc.info as Json).title).toBe("Baton API");
    expect(doc.servers).toEqual([{ url: "/" }]);
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(resolvePointer(ref), `${ref} resolves`).toBeDefined();

    const schemes = (doc.components.securitySchemes ?? {}) as Record<string, Json>;
    expect(schemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(schemes.session).toMatchObject({ type: "apiKey", in: "cookie", name: SESSION_COOKIE });
    for (const requirement of doc.security as Json[]) for (const name of Object.keys(requirement)) expect(schemes[name]).toBeDefined();

    const ajv = documentAjv();
    for (const { path, method, op } of operations()) {
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "default"]));
      for (const response of Object.values(op.responses)) expect((deref(response) as Json).description).toEqual(expect.any(String));
      for (const p of op.parameters ?? []) {
        const param = deref(p) as Json;
        expect(["query", "header", "path", "cookie"]).toContain(param.in);
        // Exactly one of schema and content, as OpenAPI requires.
        expect(Number("schema" in param) + Number("content" in param)).toBe(1);
      }
      for (const where of schemaPaths(path, method, op)) expect(() => ajv.at(...where), where.join(" > ")).not.toThrow();
    }
  });

  it("says how tRPC carries input: a query's as one JSON query parameter, a mutation's as the JSON body", () => {
    const get = doc.paths["/api/trpc/workPools.get"]!.get!;
    const input = (get.parameters ?? []).map((p) => deref(p)).find((p) => p.name === "input")!;
    expect(input).toMatchObject({ in: "query", required: true, content: { "application/json": { schema: { type: "object", required: ["workPool"] } } } });
    expect(input.schema).toBeUndefined();
    const list = doc.paths["/api/trpc/flowRuns.list"]!.get!;
    expect((list.parameters ?? []).map((p) => deref(p)).find((p) => p.name === "input")?.required).toBeFalsy();
    const create = doc.paths["/api/trpc/workPools.create"]!.post!;
    expect(create.requestBody).toMatchObject({ required: true, content: { "application/json": { schema: { type: "object" } } } });
    // Output side: dates are ISO strings; input side: the fields a caller sends.
    const data = ((create.responses["200"] as Json).content as Json)["application/json"] as { schema: Json };
    const pool = ((data.schema.properties as Json).result as Json & { properties: { data: Json & { properties: Record<string, Json> } } }).properties.data;
    expect(pool.properties.createdAt).toEqual({ type: "string", format: "date-time" });
  });

  it("is served at GET /api/openapi.json with no credentials, the same document", async () => {
    const response = getOpenApiRoute();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(buildOpenApiDocument({ serverUrl: "https://baton.example.com/" }).servers).toEqual([{ url: "https://baton.example.com" }]);
    // Each call has its own copy: a caller that changes one does not change the next.
    buildOpenApiDocument().info.title = "changed";
    expect(buildOpenApiDocument().info.title).toBe("Baton API");
  });
});

describe("OpenAPI round trip over HTTP", () => {
  const api = useTestApi();

  it("workPools.create: a body built from the document is accepted, and the answers match the document", async () => {
    const ajv = documentAjv();
    const path = "/api/trpc/workPools.create";
    const op = doc.paths[path]!.post!;
    const requestSchema = (op.requestBody!.content as Record<string, { schema: Json }>)["application/json"]!.schema;
    const checkRequest = ajv.at("paths", path, "post", "requestBody", "content", "application/json", "schema");
    const checkOk = ajv.at("paths", path, "post", "responses", "200", "content", "application/json", "schema");
    const checkError = ajv.at("components", "responses", "Error", "content", "application/json", "schema");

    const body = sample(requestSchema) as Json;
    expect(Object.keys(body).sort()).toEqual(["name", "type"]);
    expect(checkRequest(body), JSON.stringify(checkRequest.errors)).toBe(true);

    const created = await api.fetch(path.slice("/api/trpc/".length), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const createdBody = (await created.json()) as { result: { data: { id: string; name: string } } };
    expect(created.status, JSON.stringify(createdBody)).toBe(200);
    expect(checkOk(createdBody), JSON.stringify(checkOk.errors)).toBe(true);
    expect(createdBody.result.data.name).toBe(body.name);

    // A query, its input as URL-encoded JSON in `input`, answered as the document says.
    const got = await api.fetch(`workPools.get?input=${encodeURIComponent(JSON.stringify({ workPool: body.name }))}`);
    const gotBody = (await got.json()) as { result: { data: { id: string } } };
    expect(got.status).toBe(200);
    expect(ajv.at("paths", "/api/trpc/workPools.get", "get", "responses", "200", "content", "application/json", "schema")(gotBody)).toBe(true);
    expect(gotBody.result.data.id).toBe(createdBody.result.data.id);

    // A body the document refuses, the server refuses too, in the documented error shape.
    const bad = { ...body, type: "kubernetes" };
    expect(checkRequest(bad)).toBe(false);
    const refused = await api.fetch("workPools.create", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(bad) });
    const refusedBody = (await refused.json()) as { error: { data: { code: string; httpStatus: number; field: string; path: string } } };
    expect(refused.status).toBe(400);
    expect(checkError(refusedBody), JSON.stringify(checkError.errors)).toBe(true);
    expect(refusedBody.error.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, field: "type", path: "workPools.create" });
    expect(checkOk(refusedBody)).toBe(false);
  });
});
