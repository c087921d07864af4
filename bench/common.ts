/**
 * What the benchmarks share: the PostgreSQL server they make their databases on, a client on it
 * for one job, percentiles and number formatting, and the load average they report beside figures.
 */
import os from "node:os";
import pg from "pg";

export const ADMIN_URL = process.env.BATON_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The value at percentile `p` (nearest rank) of `xs`. */
export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** The 1, 5 and 15 minute load averages, as "a / b / c". */
export const load = () => os.loadavg().map((x) => x.toFixed(2)).join(" / ");
/** The URL of database `name` on the benchmarks' server. */
export const dbUrl = (name: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

/** Runs `fn` on a fresh client of the server's admin database, closed after. */
export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
