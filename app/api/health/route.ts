/**
 * Health check for load balancers and scripts: 200 with the database driver and Baton's version
 * once a query has gone through, 503 with the reason otherwise. It touches the database on
 * purpose: a process whose start-up failed still answers HTTP, and only a real query tells.
 */
import { sql } from "drizzle-orm";
import { getRuntime } from "@/server/runtime";
import packageJson from "@/package.json";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const headers = { "cache-control": "no-store" };
  try {
    const { database } = await getRuntime();
    await database.db.execute(sql`select 1`);
    return Response.json(
      { status: "ok", driver: database.driver, version: packageJson.version },
      { headers },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return Response.json({ status: "error", error: message, version: packageJson.version }, { status: 503, headers });
  }
}
