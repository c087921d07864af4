/**
 * Rows that come back from raw SQL (engine functions, CTEs) carry database column names;
 * this maps them to the drizzle row shape the rest of the code uses.
 */
import { getTableColumns, type Table } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

const cache = new WeakMap<Table, [string, string, PgColumn][]>();

function columnsOf(table: Table): [string, string, PgColumn][] {
  let cols = cache.get(table);
  if (!cols) {
    cols = Object.entries(getTableColumns(table)).map(([key, col]) => [col.name, key, col as PgColumn]);
    cache.set(table, cols);
  }
  return cols;
}

/** Maps one raw row (snake_case, driver-typed) to the table's drizzle select type. */
export function mapRow<T extends Table>(table: T, raw: Record<string, unknown>): T["$inferSelect"] {
  const out: Record<string, unknown> = {};
  for (const [dbName, key, col] of columnsOf(table)) {
    const value = raw[dbName];
    // Drivers differ on timestamps in raw results (Date or string); drizzle's mapper normalises.
    out[key] = value === null || value === undefined ? (value ?? null) : col.mapFromDriverValue(value);
  }
  return out as T["$inferSelect"];
}

export function rowsOf(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}
