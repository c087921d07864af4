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
  // Loopback by default: with auth off, nothing but this machine may reach the server.
  HOST: z.string().min(1).default("127.0.0.1"),
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
  BATON_AUTH: z.enum(["on", "off"], { error: "must be on or off" }).default("off"),
  /** Signs session cookies; required with auth on (at least 32 characters). */
  BATON_AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -base64 32)").optional(),
  /** The URL users open, e.g. https://baton.example.com (sign-in links, trusted origins, Host check). */
  BATON_PUBLIC_URL: httpUrl.optional(),
  /** More Host header values to accept, comma-separated (e.g. baton.internal:4200). */
  BATON_ALLOWED_HOSTS: z.string().optional(),
  /** The largest request body accepted, in bytes (default 16 MiB). */
  BATON_MAX_BODY_BYTES: z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1024, "must be at least 1024").default(16 * 1024 * 1024),
  /** Requests a second per API key, session or address before TOO_MANY_REQUESTS (0: no limit). */
  BATON_RATE_LIMIT_PER_S: z.coerce.number({ error: "must be a number" }).min(0, "must be 0 or more").default(200),
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

export interface AuthConfig {
  /** Off: single user on loopback, no sign-in. On: every procedure needs an identity. */
  enabled: boolean;
  secret?: string;
  publicUrl?: string;
}

export interface LimitsConfig {
  maxBodyBytes: number;
  ratePerSecond: number;
}

export interface BatonConfig {
  port: number;
  host: string;
  auth: AuthConfig;
  /** Host header values the server answers to (DNS-rebinding defence); see allowedHosts(). */
  allowedHosts: string[];
  limits: LimitsConfig;
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
  const auth: AuthConfig = { enabled: env.BATON_AUTH === "on", secret: env.BATON_AUTH_SECRET, publicUrl: env.BATON_PUBLIC_URL };
  if (auth.enabled && !auth.secret) {
    throw new ConfigError(
      "Invalid configuration:\n  BATON_AUTH_SECRET must be set when BATON_AUTH=on (at least 32 characters; try: openssl rand -base64 32)",
    );
  }
  return {
    port: env.PORT,
    host: env.HOST,
    auth,
    allowedHosts: allowedHosts({ host: env.HOST, port: env.PORT, publicUrl: env.BATON_PUBLIC_URL, extra: env.BATON_ALLOWED_HOSTS }),
    limits: { maxBodyBytes: env.BATON_MAX_BODY_BYTES, ratePerSecond: env.BATON_RATE_LIMIT_PER_S },
    dataDir,
    database: resolveDatabaseConfig({ ...env, dataDir }),
    apiUrl: env.BATON_API_URL ?? `http://127.0.0.1:${env.PORT}/api`,
    workspace: env.BATON_WORKSPACE,
  };
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The Host header values the server answers to, `name:port` in lower case: loopback names, the
 * address it listens on (unless that is a wildcard), the public URL's host, and any extras. A
 * request naming another host is refused, so a web page on a rebinding DNS name cannot reach a
 * server on this machine.
 */
export function allowedHosts(opts: { host: string; port: number; publicUrl?: string; extra?: string }): string[] {
  const names = new Set<string>();
  const add = (name: string, port: number | string) => names.add(`${name.toLowerCase()}:${port}`);
  for (const name of LOOPBACK_NAMES) add(name, opts.port);
  if (!["0.0.0.0", "::", ""].includes(opts.host)) add(opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host, opts.port);
  if (opts.publicUrl) {
    const u = new URL(opts.publicUrl);
    add(u.hostname, u.port || (u.protocol === "https:" ? 443 : 80));
    if (!u.port) names.add(u.hostname.toLowerCase());
  }
  for (const entry of (opts.extra ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    names.add(entry.toLowerCase().includes(":") ? entry.toLowerCase() : `${entry.toLowerCase()}:${opts.port}`);
  }
  return [...names];
}

/**
 * Listening beyond loopback needs auth on: with auth off anyone who reaches the port could make
 * a worker run a command. Checked when the server starts (other commands do not listen).
 */
export function assertSafeBinding(config: Pick<BatonConfig, "host" | "auth">): void {
  if (!config.auth.enabled && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `Refusing to listen on ${config.host} with auth off: anyone who can reach it could run code on your workers. ` +
        `Set BATON_AUTH=on (with BATON_AUTH_SECRET) to serve a network, or listen on 127.0.0.1 (HOST / --host).`,
    );
  }
}
