/**
 * `baton auth …` and `baton api-key …`: the first owner of a server with auth on, who the CLI
 * is signed in as, and API keys for workers, scripts and CI.
 */
import { Command, Option } from "commander";
import { loadConfig } from "../../server/config";
import { apiContext, print, printJson } from "../context";
import { CliError } from "../errors";
import { parseDuration } from "../params";
import { out } from "../output/style";
import { renderTable, terminalWidth } from "../output/table";
import { relativeTime } from "../output/time";
import { serverAnswers } from "./db";

const KEY_ROLES = ["owner", "editor", "viewer", "worker"] as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export function authCommand(): Command {
  const cmd = new Command("auth").description("Accounts: the first owner, and who you are");

  cmd
    .command("bootstrap")
    .description("Create the first owner of a fresh database (auth on), straight in the database")
    .requiredOption("--email <email>", "the owner's email address (their sign-in name)")
    .option("--name <name>", "the owner's display name", "Owner")
    .option("--password-stdin", "read the password from standard input (else BATON_BOOTSTRAP_PASSWORD)")
    .option("--create-key <name>", "also create an owner API key with this name and print it (once)")
    .addOption(new Option("--data-dir <dir>", "data directory of the embedded database").env("BATON_DATA_DIR"))
    .addOption(new Option("--database-url <url>", "a postgres:// URL; unset means the embedded PGlite database").env("DATABASE_URL"))
    .addHelpText(
      "after",
      `
Needs BATON_AUTH_SECRET (as the server has). With the embedded database, stop the server first.
The server also prints a one-time setup link on a fresh database; either way works.`,
    )
    .action(async (opts: { email: string; name: string; passwordStdin?: boolean; createKey?: string; dataDir?: string; databaseUrl?: string }) => {
      if (opts.dataDir !== undefined) process.env.BATON_DATA_DIR = opts.dataDir;
      if (opts.databaseUrl !== undefined) process.env.DATABASE_URL = opts.databaseUrl;
      const secret = process.env.BATON_AUTH_SECRET;
      if (!secret || secret.length < 32) throw new CliError("Set BATON_AUTH_SECRET (at least 32 characters, the server's own) before bootstrapping");
      const password = opts.passwordStdin ? await readStdin() : process.env.BATON_BOOTSTRAP_PASSWORD;
      if (!password) throw new CliError("Give the password on standard input with --password-stdin, or in BATON_BOOTSTRAP_PASSWORD");
      const config = loadConfig({ ...process.env, BATON_AUTH: "on" });
      if (config.database.driver === "pglite" && (await serverAnswers(config))) {
        throw new CliError(`A Baton server answers at ${config.apiUrl}; stop it first (one process per embedded database), or open its setup link`);
      }
      const { openDatabase } = await import("../../server/db/client");
      const { SETUP_TOKEN_HEADER, countUsers, setupToken } = await import("../../server/auth/better-auth");
      const { authFor, authSettingsFrom } = await import("../../server/auth/identity");
      const { createApiKey } = await import("../../server/auth/api-keys");
      const { DEFAULT_WORKSPACE_ID } = await import("../../drizzle/schema");
      const database = await openDatabase(config.database);
      try {
        await database.migrate();
        if ((await countUsers(database.db)) > 0) throw new CliError("This database has accounts already: invite people from the web UI instead");
        const auth = authFor(database.db, authSettingsFrom(config));
        const headers = new Headers({ [SETUP_TOKEN_HEADER]: setupToken(secret) });
        const created = await auth.api
          .signUpEmail({ body: { email: opts.email, password, name: opts.name }, headers })
          .catch((error: unknown) => {
            throw new CliError(`Could not create the owner: ${error instanceof Error ? error.message : String(error)}`);
          });
        print(`${out.green("Created")} ${opts.email}, owner of the default workspace. Sign in at ${config.auth.publicUrl ?? `http://localhost:${config.port}`}/sign-in`);
        if (opts.createKey) {
          const { key } = await createApiKey({
            db: database.db,
            workspaceId: DEFAULT_WORKSPACE_ID,
            name: opts.createKey,
            role: "owner",
            mayDefineExecution: true,
            createdBy: created.user.id,
          });
          print(`API key '${opts.createKey}' (owner; shown this once, keep it safe):`);
          print(key);
        }
      } finally {
        await database.close();
      }
    });

  cmd
    .command("status")
    .description("Whether the server has auth on, and who this CLI is to it")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const status = await client.auth.status.query();
      if (opts.json) return printJson(status);
      if (!status.enabled) return print("Auth is off: this server has one local user and listens on loopback only.");
      if (status.needsSetup) return print("Auth is on and the server has no owner yet: open the setup link it printed, or run `baton auth bootstrap`.");
      const me = status.me;
      if (!me) return print("Auth is on; you are not signed in. Set BATON_API_KEY or pass --api-key.");
      print(me.kind === "key" ? `Signed in with API key '${me.name}' (${me.role}).` : me.kind === "user" ? `Signed in as ${me.email}.` : "Local user.");
    });

  return cmd;
}

export function apiKeyCommand(): Command {
  const cmd = new Command("api-key").description("API keys for workers, scripts and CI (shown once, stored hashed)");

  cmd
    .command("create")
    .description("Create an API key in the workspace and print it (once)")
    .argument("<name>", "what the key is for, e.g. gpu-box-1")
    .addOption(new Option("--role <role>", "what it may do").choices(KEY_ROLES).default("worker"))
    .option("--pool <pool...>", "worker keys: the pools it may work for (default: all)")
    .option("--expires-in <duration>", 'e.g. "90 days"; default: never')
    .action(async (name: string, opts: { role: (typeof KEY_ROLES)[number]; pool?: string[]; expiresIn?: string }, command: Command) => {
      const { client } = apiContext(command);
      const expiresAt = opts.expiresIn ? new Date(Date.now() + parseDuration(opts.expiresIn)).toISOString() : undefined;
      const created = await client.apiKeys.create.mutate({ name, role: opts.role, workPools: opts.pool, expiresAt });
      print(`Created API key '${created.name}' (${created.role}${opts.pool ? ` for ${opts.pool.join(", ")}` : ""}). It is shown this once:`);
      print(created.key);
      print(out.dim("Give it to a worker as BATON_API_KEY."));
    });

  cmd
    .command("ls")
    .description("List the workspace's API keys (never the keys themselves)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { client } = apiContext(command);
      const keys = await client.apiKeys.list.query();
      if (opts.json) return printJson(keys);
      if (keys.length === 0) return print("No API keys. Create one with: baton api-key create my-worker --role worker --pool gpu");
      print(
        renderTable(
          keys,
          [
            { header: "NAME", value: (k) => k.name },
            { header: "KEY", value: (k) => `${k.prefix}…`, shrink: false },
            { header: "ROLE", value: (k) => k.role, shrink: false },
            { header: "LAST USED", value: (k) => (k.lastUsedAt ? relativeTime(k.lastUsedAt) : "never"), shrink: false },
            { header: "EXPIRES", value: (k) => (k.expiresAt ? relativeTime(k.expiresAt) : "never"), shrink: false },
            {
              header: "STATUS",
              value: (k) => (k.revokedAt ? "revoked" : k.expiresAt && new Date(k.expiresAt) < new Date() ? "expired" : "active"),
              paint: (k) => (k.revokedAt ? out.red : out.green),
              shrink: false,
            },
            { header: "ID", value: (k) => k.id, shrink: false },
          ],
          { maxWidth: terminalWidth() },
        ),
      );
    });

  cmd
    .command("revoke")
    .description("Revoke an API key: requests with it are refused from now on")
    .argument("<id>", "the key's id (baton api-key ls)")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { client } = apiContext(command);
      const key = await client.apiKeys.revoke.mutate({ id });
      print(`Revoked API key '${key.name}'.`);
    });

  return cmd;
}
