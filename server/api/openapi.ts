/**
 * An OpenAPI 3.1 description of Baton's API, for clients in other languages, generated at run
 * time from the tRPC router itself: one operation per procedure, its schemas rendered (with
 * zod-openapi) from the very zod objects that check each request and response, so the document
 * cannot drift from the server. Served at GET /api/openapi.json.
 *
 * It describes tRPC's own HTTP shape, with no batching and no transformer (server/api/trpc.ts
 * configures none):
 *   query     GET  /api/trpc/<path>?input=<URL-encoded JSON of the input>
 *   mutation  POST /api/trpc/<path>   body: the input as JSON
 *   success   {"result": {"data": <output>}}
 *   failure   {"error": {"message", "code", "data": {"code", "httpStatus", "path", "field", "reason"}}}
 * Inputs are rendered as the input side of their schemas, outputs as the output side: a Date
 * leaves the API as an ISO-8601 string (zDate in server/api/trpc.ts).
 */
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { z } from "zod";
import {
  createDocument,
  type ZodOpenApiObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiOverrideContext,
  type ZodOpenApiPathsObject,
  type oas31,
} from "zod-openapi";
import packageJson from "../../package.json";
import { TRPC_ENDPOINT } from "./http";
import { appRouter } from "./root";
import { WORKSPACE_HEADER } from "./trpc";

export const OPENAPI_PATH = "/api/openapi.json";

/** The session cookie the web UI signs in with (better-auth's default name). */
export const SESSION_COOKIE = "better-auth.session_token";

type OpenApiDocument = oas31.OpenAPIObject;

interface ProcedureDef {
  type: "query" | "mutation" | "subscription";
  inputs?: unknown[];
  output?: unknown;
  meta?: { description?: unknown; summary?: unknown };
}

const isZod = (value: unknown): value is z.ZodType => typeof value === "object" && value !== null && "_zod" in value;

/** tRPC's error body, as server/api/trpc.ts's errorFormatter shapes it. */
const errorResponse = z
  .object({
    error: z.object({
      message: z.string().meta({ description: "What went wrong, written for people (for BAD_REQUEST: `field: problem`; …)" }),
      code: z.number().int().meta({ description: "The JSON-RPC 2.0 error number (e.g. -32600 for BAD_REQUEST)" }),
      data: z.object({
        code: z.enum(Object.keys(TRPC_ERROR_CODES_BY_KEY) as [keyof typeof TRPC_ERROR_CODES_BY_KEY, ...(keyof typeof TRPC_ERROR_CODES_BY_KEY)[]]),
        httpStatus: z.number().int(),
        path: z.string().optional().meta({ description: "The procedure's path, e.g. `workPools.create`" }),
        field: z.string().nullable().meta({ description: "The input field at fault (e.g. `parameters.count`), when there is one" }),
        reason: z.string().nullable().meta({ description: "A machine-readable reason for some refusals" }),
        stack: z.string().optional().meta({ description: "Only from a server in development mode" }),
      }),
    }),
  })
  .meta({ id: "TrpcErrorResponse", description: "A failed call: tRPC's error envelope" });

/** The workspace header, one component shared by every operation. */
const workspaceHeader = z
  .string()
  .optional()
  .meta({
    param: { in: "header", name: WORKSPACE_HEADER, id: "Workspace" },
    description: "The workspace's slug (default `default`). Ignored by the procedures that are not scoped to a workspace (`workspaces.*`).",
  });

/** One procedure's input: its input parsers merged (tRPC merges the parsed objects key by key). */
function inputOf(def: ProcedureDef, path: string): z.ZodType | undefined {
  const inputs = (def.inputs ?? []).filter(isZod);
  if (inputs.length !== (def.inputs ?? []).length) throw new Error(`OpenAPI: ${path} has an input that is not a zod schema`);
  if (inputs.length === 0) return undefined;
  return inputs.reduce((a, b) => z.intersection(a, b));
}

function outputOf(def: ProcedureDef): z.ZodType {
  return isZod(def.output) ? def.output : z.unknown();
}

/**
 * Transforms cannot be rendered in general; the API's only ones in outputs turn a Date (or a
 * nullable Date) into its ISO-8601 string, which is what a client receives. Any other transform
 * in an output is an error here, by zod-openapi, naming where it is (give it an output schema).
 */
function renderDates(ctx: ZodOpenApiOverrideContext): void {
  if (ctx.io !== "output") return;
  const def = ctx.zodSchema._zod.def as { type: string; in?: z.ZodType; out?: z.ZodType };
  if (def.type !== "pipe" || def.out?._zod.def.type !== "transform" || !def.in) return;
  let source = def.in;
  let nullable = false;
  if (source._zod.def.type === "nullable") {
    nullable = true;
    source = (source._zod.def as unknown as { innerType: z.ZodType }).innerType;
  }
  if (source._zod.def.type !== "date") return;
  const json = ctx.jsonSchema as Record<string, unknown>;
  for (const key of Object.keys(json)) delete json[key];
  Object.assign(json, { type: nullable ? ["string", "null"] : "string", format: "date-time" });
}

function operationFor(path: string, def: ProcedureDef): { method: "get" | "post"; operation: ZodOpenApiOperationObject } {
  const input = inputOf(def, path);
  const output = outputOf(def);
  const tag = path.split(".")[0]!;
  const description = typeof def.meta?.description === "string" ? def.meta.description : undefined;
  const summary = typeof def.meta?.summary === "string" ? def.meta.summary : undefined;
  const base = {
    operationId: path,
    tags: [tag],
    ...(summary ? { summary } : {}),
    ...(description ? { description } : {}),
    "x-trpc-type": def.type,
    parameters: [workspaceHeader],
  };
  const errors = { default: { $ref: "#/components/responses/Error" } } as const;
  if (def.type === "subscription") {
    return {
      method: "get",
      operation: {
        ...base,
        description: [description, "A subscription: server-sent events, each event's `data` one value as JSON."].filter(Boolean).join("\n\n"),
        ...(input ? { requestParams: { query: z.object({ input }) } } : {}),
        responses: {
          "200": { description: "An event stream", content: { "text/event-stream": { schema: output } } },
          ...errors,
        },
      },
    };
  }
  const ok = {
    "200": {
      description: "The procedure's result",
      content: { "application/json": { schema: z.object({ result: z.object({ data: output }) }) } },
    },
    ...errors,
  };
  if (def.type === "query") {
    return {
      method: "get",
      // The input becomes a JSON-valued query parameter below (see asJsonQueryParameters).
      operation: { ...base, ...(input ? { requestParams: { query: z.object({ input }) } } : {}), responses: ok },
    };
  }
  return {
    method: "post",
    operation: {
      ...base,
      ...(input
        ? {
            requestBody: {
              required: input._zod.optin === undefined,
              description: "The procedure's input, as JSON (no batching, no transformer)",
              content: { "application/json": { schema: input } },
            },
          }
        : {}),
      responses: ok,
    },
  };
}

/**
 * tRPC reads a query's input from one parameter, `input`, holding the input as JSON: OpenAPI
 * says so with `content` rather than `schema` (which would mean one parameter per field).
 */
function asJsonQueryParameters(document: OpenApiDocument): void {
  for (const item of Object.values(document.paths ?? {})) {
    const params = (item as oas31.PathItemObject).get?.parameters ?? [];
    for (const param of params as oas31.ParameterObject[]) {
      if (param.in !== "query" || param.name !== "input" || !param.schema) continue;
      const { schema, ...rest } = param;
      Object.assign(param, rest, {
        description: "The procedure's input as JSON, URL-encoded: `?input=%7B%22workPool%22%3A%22gpu%22%7D`",
        content: { "application/json": { schema } },
      });
      delete (param as { schema?: unknown }).schema;
      delete (param as { style?: unknown }).style;
      delete (param as { explode?: unknown }).explode;
    }
  }
}

function generate(): OpenApiDocument {
  // Typed as the nested router, but at run time a flat record: dotted path → procedure.
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDef }>;
  const paths: ZodOpenApiPathsObject = {};
  for (const [path, procedure] of Object.entries(procedures)) {
    const { method, operation } = operationFor(path, procedure._def);
    paths[`${TRPC_ENDPOINT}/${path}`] = { [method]: operation };
  }
  const tags = [...new Set(Object.keys(procedures).map((p) => p.split(".")[0]!))].map((name) => ({ name }));
  const spec: ZodOpenApiObject = {
    openapi: "3.1.0",
    info: {
      title: "Baton API",
      version: packageJson.version,
      description: [
        "Baton's API is tRPC over HTTP, described here for clients in any language, one operation per procedure. " +
          "A query is `GET /api/trpc/{procedure}?input=<URL-encoded JSON>`, a mutation is `POST /api/trpc/{procedure}` with the input as the JSON body (no batching, no transformer).",
        'A success is `{"result": {"data": …}}`; a failure is tRPC\'s error envelope with the HTTP status of its code (400 for BAD_REQUEST, 404 for NOT_FOUND, …).',
        "Dates are ISO-8601 strings. The header `x-baton-workspace` picks the workspace.",
        "Authenticate with an API key (`authorization: Bearer baton_…`) or, from the web UI, the session cookie; a server run with BATON_AUTH=off needs neither.",
      ].join("\n\n"),
    },
    tags,
    security: [{ apiKey: [] }, { session: [] }, {}],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", bearerFormat: "baton_…", description: "An API key: `authorization: Bearer baton_…` (BATON_API_KEY)" },
        session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "The web UI's signed-in session" },
      },
      responses: {
        Error: { description: "The call failed", content: { "application/json": { schema: errorResponse } } },
      },
    },
  };
  const document = createDocument(spec, { override: renderDates });
  asJsonQueryParameters(document);
  return document;
}

let cached: OpenApiDocument | undefined;

/**
 * The document, generated once per process. `serverUrl` is the API's origin as clients reach it
 * (e.g. BATON_PUBLIC_URL); by default `/`, the origin the document itself was fetched from.
 * Each call returns its own copy.
 */
export function buildOpenApiDocument(opts: { serverUrl?: string } = {}): OpenApiDocument {
  cached ??= generate();
  const copy = structuredClone(cached);
  copy.servers = [{ url: opts.serverUrl?.replace(/\/+$/, "") || "/" }];
  return copy;
}
