/**
 * Test databases on the real PostgreSQL server: a migrated template per driver, cloned once
 * per test file (CREATE DATABASE … TEMPLATE is far quicker than migrating each time).
 */
import pg from "pg";
import { openDatabase } from "../../server/db/client";

export const PG_ADMIN_URL = process.env.BATON_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops databases left behind by earlier, interrupted runs that used this prefix. */
export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1",
      [`${prefix}%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

/** Drops test databases whose vitest process (the pid in their name) is no longer running. */
export async function dropOrphanedTestDatabases(): Promise<void> {
  await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'baton\\_t\\_%' OR datname LIKE 'baton\\_tpl\\_%'",
    );
    for (const { datname } of rows) {
      // baton_t_<project>_<pid>_<12 hex> for clones, baton_tpl_<project>_<pid> for templates.
      const match = /^baton_t_.+_(\d+)_[0-9a-f]{12}$/.exec(datname) ?? /^baton_tpl_.+_(\d+)$/.exec(datname);
      const pid = Number(match?.[1]);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function createTemplate(name: string): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  const database = await openDatabase({ driver: "pg", url: databaseUrl(name) });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}

export async function cloneTemplate(template: string, name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
