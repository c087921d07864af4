/**
 * A PostgreSQL cluster of one's own, for tests that stop, kill and restart the database: the
 * shared server on 127.0.0.1:5432 serves everyone's tests at once and must never be touched.
 * initdb into a temporary folder (as the `postgres` OS user when we are root: the postmaster
 * refuses to run as root), a free port, the socket in the same folder, trust auth on loopback.
 *
 *   const pg = await startPrivatePostgres();
 *   const url = await pg.createDatabase("baton");   // migrated, ready for the server
 *   await pg.restart({ downMs: 1000 });              // pg_ctl stop -m immediate, then start
 *   await pg.destroy();
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase } from "../../server/db/client";
import { freePort } from "../../e2e/helpers/baton-process";

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<name> */
  url(name?: string): string;
  /** Creates a database and applies Baton's migrations to it; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl stop -m immediate`: the postmaster and every backend gone at once, like a crash. */
  kill(): void;
  /** Starts the stopped cluster again on the same port (crash recovery included). */
  start(): void;
  /** kill(), wait `downMs`, start(). */
  restart(opts?: { downMs?: number }): Promise<void>;
  isRunning(): boolean;
  /** Stops the cluster and removes its folder. */
  destroy(): Promise<void>;
}

function pgBin(name: string): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = path.join(base, v, "bin", name);
    if (existsSync(bin)) return bin;
  }
  return name; // on PATH, then
}

/** The postmaster refuses to run as root: run its tools as the `postgres` user when we are root. */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[]): void {
  const [file, argv] = asPostgresUser(cmd, args);
  const r = spawnSync(file, argv, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

/** A port nobody listens on now (the e2e helpers' freePort). */
export const freeTcpPort = freePort;

export async function startPrivatePostgres(opts: { port?: number } = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-private-pg-"));
  const dataDir = path.join(dir, "data");
  if (process.getuid?.() === 0) {
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()));
    chmodSync(dir, 0o700);
  }
  const port = opts.port ?? (await freeTcpPort());
  run(pgBin("initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => run(pgBin("pg_ctl"), ["-D", dataDir, "-o", options, "-l", path.join(dir, "postgres.log"), "-w", "-t", "60", "start"]);
  const kill = () => run(pgBin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
  const isRunning = () => spawnSync(...asPostgresUser(pgBin("pg_ctl"), ["-D", dataDir, "status"])).status === 0;
  start();
  const url = (name = "postgres") => `postgres://postgres@127.0.0.1:${port}/${name}`;
  return {
    port,
    url,
    isRunning,
    kill,
    start,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const database = await openDatabase({ driver: "pg", url: url(name) });
      try {
        await database.migrate();
      } finally {
        await database.close();
      }
      return url(name);
    },
    async restart({ downMs = 0 } = {}) {
      kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      start();
    },
    async destroy() {
      if (isRunning()) {
        try {
          kill();
        } catch {
          // stopped meanwhile
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
