/**
 * Baton's configuration, read once from the environment (and CLI flags, which the CLI copies
 * into the environment before calling this). Bad values fail fast with a message that names
 * the variable, in the manner of Prefect's settings.
 */
import path from "node:path";
import { z } from "zod";

export const DEFAULT_PORT = 4200;

const portSchema = z.coerce
  .number({ error: "must be a number" })
  .int("must be a whole number")
  .min(1, "must be between 1 and 65535")
  .max(65535, "must be between 1 and 65535");

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), {
    message: "must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)",
  })
  .refine(
    (v) => {
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: "is not a valid URL" },
  );

const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  },
  { message: "must be an http:// or https:// URL, such as http://127.0.0.1:4200/api" },
);

const envSchema = z.object({
  PORT: portSchema.default(DEFAULT_PORT),
  HOST: z.string().min(1).default("0.0.0.0"),
  BATON_DATA_DIR: z.string().min(1, "must not be empty").default("./.baton/data"),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v === "" ? undefined : v))
    .pipe(postgresUrl.optional()),
  BATON_DB_DRIVER: z
    .enum(["pglite", "pg", "neon"], { error: "must be one of pglite, pg, neon" })
    .optional(),
  BATON_NEON_WS_PROXY: z.string().min(1).optional(),
  BATON_API_URL: httpUrl.optional(),
  BATON_WORKSPACE: z.string().min(1).default("default"),
});

export type DbDriver = "pglite" | "pg" | "neon";

export interface DatabaseConfig {
  driver: DbDriver;
  /** For pg and neon. */
  url?: string;
  /** For pglite: a directory, or "memory://" for an in-memory database. */
  dataDir?: string;
  /** For neon against a non-Neon host: "host:port/path" of a WebSocket-to-TCP proxy. */
  neonWsProxy?: string;
}

export interface BatonConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  apiUrl: string;
  workspace: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** True for hosts served by Neon, whose Postgres speaks over WebSockets. */
export function isNeonUrl(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith(".neon.tech");
  } catch {
    return false;
  }
}

export function resolveDatabaseConfig(env: {
  DATABASE_URL?: string;
  BATON_DB_DRIVER?: DbDriver;
  BATON_NEON_WS_PROXY?: string;
  dataDir: string;
}): DatabaseConfig {
  const url = env.DATABASE_URL;
  const driver: DbDriver = env.BATON_DB_DRIVER ?? (url ? (isNeonUrl(url) ? "neon" : "pg") : "pglite");
  if (driver !== "pglite" && !url) {
    throw new ConfigError(
      `Invalid configuration: BATON_DB_DRIVER=${driver} needs DATABASE_URL to say which Postgres to use`,
    );
  }
  if (driver === "pglite") return { driver, dataDir: path.join(env.dataDir, "db") };
  return { driver, url, neonWsProxy: env.BATON_NEON_WS_PROXY };
}

/**
 * Any set of variables, not only `process.env`: Next.js's global types make `NODE_ENV` a required
 * key of `NodeJS.ProcessEnv`, so a plain object (as in tests) would not type-check against it.
 */
export type EnvSource = Record<string, string | undefined>;

export function loadConfig(source: EnvSource = process.env): BatonConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const got = source[name];
      return `  ${name} ${issue.message}${got !== undefined ? ` (got "${got}")` : ""}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.BATON_DATA_DIR);
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir,
    database: resolveDatabaseConfig({ ...env, dataDir }),
    apiUrl: env.BATON_API_URL ?? `http://127.0.0.1:${env.PORT}/api`,
    workspace: env.BATON_WORKSPACE,
  };
}
