/**
 * Baton's tRPC setup, in three parts: the context every procedure gets, the tRPC instance with
 * its error formatter, and the procedure builders the routers use.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z, ZodError } from "zod";
import { workspaces } from "../../drizzle/schema";
import type { Db } from "../db/client";
import { loadEngineSettings, type EngineSettings } from "../engine/settings";
import type { RunSignals } from "../engine/signals";
import { AppError, translateDatabaseError } from "../errors";

// ---------------------------------------------------------------------------------------------
// 1. Context
// ---------------------------------------------------------------------------------------------

export const WORKSPACE_HEADER = "x-baton-workspace";
export const ACTOR_HEADER = "x-baton-actor";

/** What the engine's procedures need beyond the database. */
export interface EngineDeps {
  settings: EngineSettings;
  /** Wake-ups for long-polling claims; without it a waiting claim polls. */
  signals?: RunSignals;
}

let defaultEngine: EngineDeps | undefined;

export interface Context {
  db: Db;
  engine: EngineDeps;
  /** The workspace slug the caller asked for (header `x-baton-workspace`, default `default`). */
  workspaceSlug: string;
  /** Who is calling, recorded in state history: `user` by default, `worker:<name>` for workers. */
  actor: string;
}

export function createContext(opts: { db: Db; headers?: Headers; engine?: EngineDeps }): Context {
  const slug = opts.headers?.get(WORKSPACE_HEADER)?.trim() || "default";
  const actor = opts.headers?.get(ACTOR_HEADER)?.trim() || "user";
  const engine = opts.engine ?? (defaultEngine ??= { settings: loadEngineSettings() });
  return { db: opts.db, engine, workspaceSlug: slug, actor };
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

/** Maps AppError (and database errors caused by input) to tRPC codes, in one place. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const original = result.error.cause ?? result.error;
    const translated = translateDatabaseError(original);
    if (translated instanceof AppError) {
      throw new TRPCError({ code: translated.code, message: translated.message, cause: translated });
    }
  }
  return result;
});

const workspaceIds = new Map<string, string>();

/** Resolves the caller's workspace to its id; an unknown slug is a NOT_FOUND, not a 500. */
const withWorkspace = t.middleware(async ({ ctx, next }) => {
  let workspaceId = workspaceIds.get(ctx.workspaceSlug);
  if (!workspaceId) {
    const [row] = await ctx.db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.slug, ctx.workspaceSlug));
    if (!row) throw AppError.notFound("Workspace", `"${ctx.workspaceSlug}"`);
    workspaceId = row.id;
    workspaceIds.set(ctx.workspaceSlug, workspaceId);
  }
  return next({ ctx: { ...ctx, workspaceId } });
});

/** For procedures that are not scoped to one workspace (listing and creating workspaces). */
export const publicProcedure = t.procedure.use(errorMapping);

/** Every workspace-scoped procedure: `ctx.workspaceId` is the caller's workspace. */
export const workspaceProcedure = publicProcedure.use(withWorkspace);

export type WorkspaceContext = Context & { workspaceId: string };

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
