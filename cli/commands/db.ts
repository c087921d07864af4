/** `baton db migrate`: apply Baton's migrations to the configured database. */
import { Command, Option } from "commander";
import { loadConfig, type BatonConfig } from "../../server/config";
import type { Db } from "../../server/db/client";
import { print } from "../context";
import { CliError } from "../errors";
import { out } from "../output/style";
import { redactUrl } from "./server";

export function dbCommand(): Command {
  const cmd = new Command("db").description("Manage Baton's database");

  cmd
    .command("migrate")
    .description("Apply pending migrations to the configured database (the server also does this when it starts)")
    .addOption(new Option("--data-dir <dir>", "data directory of the embedded database (default ./.baton/data)").env("BATON_DATA_DIR"))
    .addOption(new Option("--database-url <url>", "a postgres:// URL; unset means the embedded PGlite database").env("DATABASE_URL"))
    .option("--force", "migrate the embedded database even though a Baton server answers on the configured port")
    .addHelpText(
      "after",
      `
With the embedded database (no DATABASE_URL), stop the server first: one process owns a data
directory (its baton.lock names the owner), and this command is refused while another holds it.
On PostgreSQL and Neon, migrating while servers run is safe (an advisory lock serialises them).`,
    )
    .action(async (opts: { dataDir?: string; databaseUrl?: string; force?: boolean }) => {
      if (opts.dataDir !== undefined) process.env.BATON_DATA_DIR = opts.dataDir;
      if (opts.databaseUrl !== undefined) process.env.DATABASE_URL = opts.databaseUrl;
      const config = loadConfig();
      if (config.database.driver === "pglite" && !opts.force && (await serverAnswers(config))) {
        throw new CliError(
          `A Baton server answers at ${config.apiUrl}; stop it before migrating the embedded database ` +
            `(one process owns an embedded data directory; the server migrates it itself when it starts). ` +
            `If that server uses another data directory, pass --force.`,
        );
      }
      const where = describeDatabase(config);
      const { openDatabase } = await import("../../server/db/client");
      const database = await openDatabase(config.database);
      try {
        const before = await appliedMigrations(database.db);
        await database.migrate();
        const after = await appliedMigrations(database.db);
        const applied = after - before;
        print(
          applied > 0
            ? `${out.green("Applied")} ${applied} migration${applied === 1 ? "" : "s"} to ${where} (${after} in all).`
            : `${where.charAt(0).toUpperCase()}${where.slice(1)} is up to date (${after} migrations applied).`,
        );
      } finally {
        await database.close();
      }
    });

  return cmd;
}

export function describeDatabase(config: BatonConfig): string {
  const db = config.database;
  if (db.driver === "pglite") return `the embedded PGlite database in ${db.dataDir}`;
  return `${db.driver === "neon" ? "Neon" : "PostgreSQL"} at ${redactUrl(db.url ?? "")} (driver ${db.driver})`;
}

/** How many migrations drizzle has recorded (0 before the first). */
async function appliedMigrations(db: Db): Promise<number> {
  const { sql } = await import("drizzle-orm");
  try {
    const result = (await db.execute(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`)) as unknown as {
      rows: { n: number }[];
    };
    return Number(result.rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

/** Whether something answers as Baton's API at the configured URL (a JSON answer from /trpc). */
export async function serverAnswers(config: BatonConfig): Promise<boolean> {
  try {
    const res = await fetch(`${config.apiUrl.replace(/\/+$/, "")}/trpc/workPools.list`, {
      signal: AbortSignal.timeout(1500),
    });
    await res.body?.cancel();
    return /json/i.test(res.headers.get("content-type") ?? "");
  } catch {
    return false;
  }
}
