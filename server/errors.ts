/**
 * One error type for everything a caller can get wrong. Domain code throws AppError with a
 * string code; the tRPC layer maps the code to a tRPC/HTTP code in one place, so a user's
 * mistake is never a 500. Database constraint violations are translated here as well.
 */
export type AppErrorCode =
  | "BAD_REQUEST" // malformed or invalid input
  | "NOT_FOUND" // the thing named does not exist (in this workspace)
  | "CONFLICT" // it exists already, or another change won the race
  | "PRECONDITION_FAILED" // not allowed in the current state (e.g. an illegal transition)
  | "UNAUTHORIZED"
  | "FORBIDDEN";

export class AppError extends Error {
  override name = "AppError";
  readonly code: AppErrorCode;
  /** The input field at fault, as a dotted path (e.g. `parameters.count`), when there is one. */
  readonly field?: string;
  /** A machine-readable reason a client can act on, e.g. `LEASE_LOST` (stop the run). */
  readonly reason?: string;

  constructor(
    code: AppErrorCode,
    message: string,
    options: { field?: string; reason?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.reason = options.reason;
  }

  static badRequest(message: string, field?: string) {
    return new AppError("BAD_REQUEST", message, { field });
  }
  static notFound(what: string, ref: string, field?: string) {
    return new AppError("NOT_FOUND", `${what} ${ref} was not found`, { field });
  }
  static conflict(message: string, field?: string) {
    return new AppError("CONFLICT", message, { field });
  }
}

/** Messages for unique constraints, by constraint name, so a duplicate reads as a sentence. */
const UNIQUE_MESSAGES: Record<string, { message: string; field?: string }> = {
  workspaces_slug_unique: { message: "a workspace with this slug already exists", field: "slug" },
  flows_workspace_name_key: { message: "a flow with this name already exists", field: "name" },
  work_pools_workspace_name_key: { message: "a work pool with this name already exists", field: "name" },
  work_queues_pool_name_key: { message: "this work pool already has a queue with this name", field: "name" },
  deployments_flow_name_key: { message: "this flow already has a deployment with this name", field: "name" },
  workers_pool_name_key: { message: "a worker with this name is already registered in this pool", field: "name" },
  concurrency_limits_workspace_tag_key: { message: "a concurrency limit for this tag already exists", field: "tag" },
  notebooks_workspace_name_key: { message: "a notebook with this name already exists", field: "name" },
  flow_runs_flow_idempotency_key: { message: "a run with this idempotency key already exists", field: "idempotencyKey" },
};

interface PgLikeError {
  code?: string;
  constraint?: string;
  detail?: string;
  message?: string;
}

function findPgError(err: unknown): PgLikeError | undefined {
  // drizzle wraps driver errors (DrizzleQueryError) with the driver's error as `cause`.
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const candidate = e as PgLikeError & { cause?: unknown };
    if (typeof candidate.code === "string" && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    e = candidate.cause;
  }
  return undefined;
}

/** Turn a database error caused by the caller's input into an AppError; anything else is returned as is. */
export function translateDatabaseError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const pg = findPgError(err);
  if (!pg) return err;
  switch (pg.code) {
    case "23505": {
      const known = pg.constraint ? UNIQUE_MESSAGES[pg.constraint] : undefined;
      return new AppError("CONFLICT", known?.message ?? `already exists (${pg.constraint ?? pg.detail ?? "unique"})`, {
        field: known?.field,
        cause: err,
      });
    }
    case "23503":
      return new AppError("NOT_FOUND", `a referenced record does not exist (${pg.constraint ?? "foreign key"})`, {
        cause: err,
      });
    case "23514":
      return new AppError("BAD_REQUEST", `a value is out of range (${pg.constraint ?? "check"})`, { cause: err });
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
      return new AppError("BAD_REQUEST", pg.message ?? "invalid value", { cause: err });
    // Text the database cannot store. The input guard refuses these first, naming the field;
    // this is the second line, for paths that do not pass through it.
    case "22021": // character_not_in_repertoire: a NUL in text (invalid byte sequence … 0x00)
    case "22P05": // untranslatable_character: \u0000 in jsonb
    case "22P04": // bad_copy_file_format
    case "22001": // string_data_right_truncation
    case "22023": // invalid_parameter_value
    case "22025": // invalid_escape_sequence
    case "22019": // invalid_escape_character
    case "2201B": // invalid_regular_expression
    case "22030": // duplicate_json_object_key_value
    case "22032": // invalid_json_text
    case "2203A": // sql_json_member_not_found
      if (/0x00|\\u0000/.test(`${pg.message ?? ""} ${pg.detail ?? ""}`)) {
        return new AppError("BAD_REQUEST", "text must not contain a NUL character (the database cannot store it)", { cause: err });
      }
      return new AppError("BAD_REQUEST", `the database refused a value: ${pg.message ?? "invalid text"}`, { cause: err });
    case "54000": // program_limit_exceeded (e.g. an index row too large for a long value)
    case "54001": // statement_too_complex (stack depth limit: JSON nested too deep)
      return new AppError("BAD_REQUEST", `a value is too large or too deeply nested for the database: ${pg.message ?? "limit exceeded"}`, {
        cause: err,
      });
    case "40001":
    case "40P01":
      return new AppError("CONFLICT", "the change collided with another one; try again", { cause: err });
    default:
      return err;
  }
}

/**
 * Why a connection could not be opened, when trying again shortly may succeed: the database is
 * restarting (refused, reset, "starting up", "shutting down", in recovery). Not for errors
 * waiting cannot fix (bad password, no such database).
 */
export function transientConnectReason(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const c = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
    if (c.code === "ECONNREFUSED" || c.code === "ECONNRESET" || c.code === "ENOENT" || c.code === "EPIPE" || c.code === "ETIMEDOUT") return String(c.code);
    // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, recovery).
    if (c.code === "57P01" || c.code === "57P02" || c.code === "57P03") return `${String(c.message)} (${c.code})`;
    if (typeof c.message === "string" && /Connection terminated|connection timeout|connection error and is not queryable/i.test(c.message)) return c.message;
    if (Array.isArray(c.errors)) {
      const inner = c.errors.map(transientConnectReason).find(Boolean);
      if (inner) return inner;
    }
    e = c.cause;
  }
  return undefined;
}
