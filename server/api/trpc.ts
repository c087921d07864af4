/**
 * Baton's tRPC setup, in three parts: the context every procedure gets, the tRPC instance with
 * its error formatter, and the procedure builders the routers use.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import { AUTH_OFF, resolveAccess, resolveIdentity, type Access, type AuthSettings, type Identity } from "../auth/identity";
import { roleAtLeast, type MemberRole } from "../auth/roles";
import { checkRawInput } from "./input-guard";
import { sharedRateLimiter } from "./rate-limit";
import type { Db } from "../db/client";
import { loadEngineSettings, type EngineSettings } from "../engine/settings";
import type { RunSignals } from "../engine/signals";
import type { ChangeFeed } from "../live/change-feed";
import { AppError, translateDatabaseError, transientConnectReason } from "../errors";

// ---------------------------------------------------------------------------------------------
// 1. Context
// ---------------------------------------------------------------------------------------------

export const WORKSPACE_HEADER = "x-baton-workspace";
/** Set by the UI's workspace switcher. */
export const WORKSPACE_COOKIE = "baton-workspace";

/** What the engine's procedures need beyond the database. */
export interface EngineDeps {
  settings: EngineSettings;
  /** Wake-ups for long-polling claims; without it a waiting claim polls. */
  signals?: RunSignals;
  /** Live updates (the `live.*` subscriptions); without it they refuse, and pages fall back to reloading. */
  live?: ChangeFeed;
}

let defaultEngine: EngineDeps | undefined;

export interface Context {
  db: Db;
  engine: EngineDeps;
  /** The request's headers: credentials (session cookie, API key) are read from them once, below. */
  headers: Headers;
  /** Auth on or off, and better-auth's settings. Off (the default) is the single local user. */
  auth: AuthSettings;
  /** The workspace slug the caller named (header `x-baton-workspace`); unset: the default, or a key's own. */
  workspaceSlug: string | undefined;
}

export function createContext(opts: { db: Db; headers?: Headers; engine?: EngineDeps; auth?: AuthSettings }): Context {
  const headers = opts.headers ?? new Headers();
  // The header (API clients, workers), else the cookie the UI's workspace switcher sets.
  const slug =
    headers.get(WORKSPACE_HEADER)?.trim() ||
    new RegExp(`(?:^|;\\s*)${WORKSPACE_COOKIE}=([a-z0-9-]{1,63})(?:;|$)`).exec(headers.get("cookie") ?? "")?.[1] ||
    undefined;
  const engine = opts.engine ?? (defaultEngine ??= { settings: loadEngineSettings() });
  return { db: opts.db, engine, headers, auth: opts.auth ?? AUTH_OFF, workspaceSlug: slug };
}

// ---------------------------------------------------------------------------------------------
// 2. Initialisation and error formatting
// ---------------------------------------------------------------------------------------------

function describeZodError(error: ZodError): { message: string; field?: string } {
  const lines = error.issues.map((issue) => {
    const at = issue.path.length ? issue.path.join(".") : "input";
    return `${at}: ${issue.message}`;
  });
  const first = error.issues[0];
  return { message: lines.join("; "), field: first?.path.length ? first.path.join(".") : undefined };
}

const t = initTRPC.context<Context>().create({
  // Stack traces only in development: an error a caller sees must not show the server's insides.
  isDev: process.env.NODE_ENV === "development",
  errorFormatter({ shape, error }) {
    let message = shape.message;
    let field: string | undefined;
    let reason: string | undefined;
    if (error.cause instanceof ZodError) {
      ({ message, field } = describeZodError(error.cause));
    } else if (error.cause instanceof AppError) {
      field = error.cause.field;
      reason = error.cause.reason;
    }
    if (shape.data.code === "INTERNAL_SERVER_ERROR" && process.env.NODE_ENV === "production") {
      message = "Internal server error";
    }
    return { ...shape, message, data: { ...shape.data, field: field ?? null, reason: reason ?? null } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

// ---------------------------------------------------------------------------------------------
// 3. Procedures
// ---------------------------------------------------------------------------------------------

/**
 * AppError (or a database error caused by input) as the tRPC error it maps to; anything else is
 * returned as it is. Also for subscriptions, whose generators run after the middleware returned.
 */
export function toTrpcError(error: unknown): unknown {
  const original = error instanceof TRPCError ? (error.cause ?? error) : error;
  const translated = translateDatabaseError(original);
  if (translated instanceof AppError) return new TRPCError({ code: translated.code, message: translated.message, cause: translated });
  // The database went away under the call (restart, failover): 503, saying so, not a bare 500.
  // Whether a write in flight committed is unknown, so the caller decides whether to resend.
  const down = transientConnectReason(original);
  if (down && down !== "ENOENT") {
    return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: `the database is not answering (${down}); try again shortly`, cause: error });
  }
  return error;
}

/** Maps AppError (and database errors caused by input) to tRPC codes, in one place. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTrpcError(result.error);
    if (mapped !== result.error) throw mapped;
  }
  return result;
});

/**
 * Who is calling: decided here, once, for every procedure. A builder below is the only way to
 * make a procedure, and each says who may call it, so a new router cannot forget to.
 */
const withIdentity = t.middleware(async ({ ctx, next }) => {
  const identity = await resolveIdentity({ db: ctx.db, headers: ctx.headers, settings: ctx.auth });
  limitRate(ctx.auth, identity);
  return next({ ctx: { ...ctx, identity } });
});

/** Requests a second per key and per signed-in user (per address is the HTTP route's). */
function limitRate(auth: AuthSettings, identity: Identity): void {
  if (!auth.ratePerSecond || (identity.kind !== "key" && identity.kind !== "user")) return;
  const who = identity.kind === "key" ? `key:${identity.keyId}` : `user:${identity.userId}`;
  const decision = sharedRateLimiter("trpc-identity", { ratePerSecond: auth.ratePerSecond }).take(who);
  if (!decision.ok) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `more than ${auth.ratePerSecond} requests a second from this ${identity.kind === "key" ? "API key" : "account"}: retry in ${Math.ceil(decision.retryAfterMs / 1000)} s (BATON_RATE_LIMIT_PER_S)`,
    });
  }
}

/** The caller's access to the workspace it named; `ctx.actor` is who history records. */
const withAccess = withIdentity.unstable_pipe(async ({ ctx, next }) => {
  const access = await resolveAccess({ db: ctx.db, identity: ctx.identity, workspaceSlug: ctx.workspaceSlug });
  return next({ ctx: { ...ctx, access, workspaceId: access.workspaceId, actor: access.actor } });
});

function forbidden(message: string): never {
  throw new AppError("FORBIDDEN", message, { reason: "FORBIDDEN" });
}

/** Members (and keys) of the workspace with at least this role; worker keys are not members. */
function memberOf(min: MemberRole) {
  return withAccess.unstable_pipe(({ ctx, next }) => {
    const { role } = ctx.access;
    if (role === "worker") forbidden("a worker key may only speak the worker protocol (register, claim, heartbeat, report)");
    if (!roleAtLeast(role, min)) forbidden(`this needs the ${min} role in workspace "${ctx.access.workspaceSlug}"; you are ${role}`);
    return next();
  });
}

/**
 * Bad text and shapes are refused before anything reads them: NUL characters, unpaired
 * surrogates, nesting deeper than the database or zod can take, oversized strings — each a
 * BAD_REQUEST naming the field, never a 500 from deep inside.
 */
const inputGuard = t.middleware(async ({ getRawInput, next }) => {
  const problem = checkRawInput(await getRawInput());
  if (problem) throw new AppError("BAD_REQUEST", problem.message, { field: problem.field });
  return next();
});

/** Health, sign-in and what describes the API: no identity needed. */
export const publicProcedure = t.procedure.use(errorMapping).use(inputGuard);

/** Any signed-in caller (a user, a key, or the local user with auth off), in no particular workspace. */
export const signedInProcedure = publicProcedure.use(withIdentity).use(({ ctx, next }) => {
  if (ctx.identity.kind === "anonymous") {
    throw new AppError("UNAUTHORIZED", "sign in, or send an API key as `authorization: Bearer <key>` (BATON_API_KEY)", { reason: "SIGN_IN" });
  }
  return next();
});

/** Reading a workspace: viewers and up. */
export const viewerProcedure = publicProcedure.use(memberOf("viewer"));
/** Changing a workspace's flows, runs, deployments and pools: editors and up. */
export const editorProcedure = publicProcedure.use(memberOf("editor"));
/** Managing people and keys: owners. */
export const ownerProcedure = publicProcedure.use(memberOf("owner"));

/**
 * What a worker calls: worker keys (limited to their pools, checked by the procedure against the
 * pool or run it names), and editors (a tab worker runs with its member's session).
 */
export const workerProcedure = publicProcedure.use(
  withAccess.unstable_pipe(({ ctx, next }) => {
    requireWorkerOr(ctx.access, "editor");
    return next();
  }),
);

/** What a worker reads (its pool, a run, a result): worker keys (checked against their pools) and viewers. */
export const workerReadProcedure = publicProcedure.use(
  withAccess.unstable_pipe(({ ctx, next }) => {
    requireWorkerOr(ctx.access, "viewer");
    return next();
  }),
);

/** A worker key, or a member with at least this role (the worker builders; the streamed upload route). */
export function requireWorkerOr(access: Access, min: MemberRole): void {
  if (access.role !== "worker" && !roleAtLeast(access.role, min)) forbidden(`this needs a worker key or the ${min} role; you are ${access.role}`);
}

/** Throws unless the caller may define what workers execute (commands, job templates, entrypoints). */
export function requireExecutionPrivilege(ctx: WorkspaceContext, what: string): void {
  if (!ctx.access.mayDefineExecution) {
    forbidden(`${what} defines what workers execute: only owners, or members an owner allowed to, may set it`);
  }
}

/** Throws unless a worker key's pools include this one (members and unscoped keys pass). */
export function requirePoolInScope(ctx: Pick<WorkspaceContext, "access">, workPoolId: string | null | undefined): void {
  const scope = ctx.access.workPoolIds;
  if (scope && (!workPoolId || !scope.includes(workPoolId))) forbidden("this worker key is not for this run's work pool");
}

/** For worker keys only: must be a worker key, or the run must be in one of its pools. */
export function isWorkerKey(ctx: WorkspaceContext): boolean {
  return ctx.access.role === "worker";
}

export type WorkspaceContext = Context & { identity: Identity; access: Access; workspaceId: string; actor: string };

// Shared zod pieces for inputs and outputs.
export const zId = z.uuid({ error: "must be a UUID" });
/** Dates leave the API as ISO-8601 strings, readable by any client. */
export const zDate = z.date().transform((d) => d.toISOString());
export const zName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[^/\s][^/]*$/, "must not contain '/' or start with a space");
export const zTags = z.array(z.string().trim().min(1, "tags must not be empty").max(100)).max(50);
export const zLimit = z.number().int().min(1).max(500);
