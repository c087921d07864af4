/**
 * GET /api/openapi.json: the OpenAPI 3.1 description of the API (server/api/openapi.ts), for
 * clients in other languages. Public on purpose: it describes the API and holds no data.
 */
import { buildOpenApiDocument } from "@/server/api/openapi";

export const dynamic = "force-dynamic";

export function GET(): Response {
  // BATON_PUBLIC_URL, when set, is how clients reach this server; otherwise `/`, relative to
  // wherever the document was fetched from.
  const document = buildOpenApiDocument({ serverUrl: process.env.BATON_PUBLIC_URL || undefined });
  return Response.json(document, { headers: { "cache-control": "public, max-age=300" } });
}
