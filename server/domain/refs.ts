/**
 * Small helpers shared by the domain modules: how a "ref" (an id or a name) is told apart,
 * and the opaque cursors of keyset-paginated lists.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { AppError } from "../errors";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A ref that looks like a UUID is an id; anything else is a name. */
export const isUuid = (ref: string) => UUID_RE.test(ref);

/**
 * Cursors are base64url JSON so that clients treat them as opaque and we can change what is
 * inside without breaking them.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw AppError.badRequest("cursor: is not a cursor this list handed out", "cursor");
  }
  return result.data;
}

/**
 * A timestamp as text with microseconds. JavaScript dates stop at milliseconds, and Postgres's
 * default `now()` is finer, so a cursor built from a Date would skip or repeat rows that share
 * a millisecond.
 */
export const preciseTimestamp = (column: PgColumn | SQL) =>
  sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Keyset cursor position: a precise timestamp and the row's id as a tiebreak. */
export const timeCursorSchema = z.object({
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  i: z.union([z.uuid(), z.number().int()]),
});
export type TimeCursor = z.infer<typeof timeCursorSchema>;
