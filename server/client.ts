/**
 * A typed client for Baton's API, for Node scripts, workers, the CLI and any other API client.
 *
 *   import { createBatonClient, describeClientError } from "baton/client";
 *   const baton = createBatonClient({ apiUrl: "http://127.0.0.1:4200/api", apiKey: process.env.BATON_API_KEY });
 *   const pools = await baton.workPools.list.query();
 *
 * This module is TypeScript: run the importing script with `tsx` (a dependency of Baton) or
 * bundle it with a TypeScript-aware bundler. It imports only `@trpc/client` and the config
 * parser at run time; `AppRouter` is a type and costs nothing.
 */
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink } from "@trpc/client";
import type { AppRouter } from "./api/root";
import { ConfigError, loadConfig } from "./config";

export type { AppRouter };
export { TRPCClientError };

/** The same header names as server/api/trpc.ts (kept apart so a client does not load the server). */
export const WORKSPACE_HEADER = "x-baton-workspace";
/** The API key travels as `authorization: Bearer <key>` (keys look like `baton_<random>`). */
export const AUTHORIZATION_HEADER = "authorization";

export interface BatonClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:4200/api`. Default: BATON_API_URL, else port PORT (4200) on 127.0.0.1. */
  apiUrl?: string;
  /** Workspace slug. Default: BATON_WORKSPACE, else `default`. */
  workspace?: string;
  /**
   * The API key, sent as `authorization: Bearer <key>`. Default: BATON_API_KEY (as Prefect's
   * PREFECT_API_KEY). Unset means no key: fine for a server with auth off.
   */
  apiKey?: string;
  /** A fetch implementation (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Keep retrying a refused connection (server down or restarting) this long before failing:
   * the request never reached the server, so retrying is safe for every call. Within the same
   * time, a connection reset or closed mid-call (a proxy or network cutting it) is retried too,
   * for the calls that may safely arrive twice (see SAFE_TO_RESEND). Default 0.
   */
  retryRefusedMs?: number;
  /** Told once per call that starts retrying. */
  onRetry?: (reason: string) => void;
  /** Batch concurrent calls into one HTTP request (default true). */
  batch?: boolean;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export type BatonClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/**
 * The API URL and workspace a client uses when none are given. Reads only the client's own
 * variables, so a half-configured server environment (say a bad DATABASE_URL) does not stop a
 * client from talking to a server somewhere else.
 */
export function resolveClientSettings(
  opts: Pick<BatonClientOptions, "apiUrl" | "workspace"> = {},
  env: Record<string, string | undefined> = process.env,
): { apiUrl: string; workspace: string } {
  const config = loadConfig({
    BATON_API_URL: opts.apiUrl || env.BATON_API_URL || undefined,
    PORT: env.PORT,
    BATON_WORKSPACE: opts.workspace || env.BATON_WORKSPACE || undefined,
  });
  return { apiUrl: config.apiUrl.replace(/\/+$/, ""), workspace: config.workspace };
}

/**
 * The API key a client sends: the option, else BATON_API_KEY; surrounding blanks dropped, an
 * empty value means none. Kept out of resolveClientSettings so that settings printed or logged
 * never carry it. A value that cannot go in a header is refused here, by name, without echoing
 * it (fetch's own error would print the value).
 */
export function resolveApiKey(apiKey?: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const fromOption = apiKey !== undefined && apiKey.trim() !== "";
  const key = (fromOption ? apiKey : env.BATON_API_KEY)?.trim();
  if (!key) return undefined;
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError(
      `Invalid configuration: ${fromOption ? "the API key (--api-key)" : "BATON_API_KEY"} must be printable ASCII without spaces, as keys are (baton_…)`,
    );
  }
  secrets.add(key);
  return key;
}

/** Every API key a client in this process was given, so that no message shows one. */
const secrets = new Set<string>();

/** `text` with any API key this process holds replaced by `baton_***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const key of secrets) out = out.split(key).join("baton_***");
  return out;
}

export function createBatonClient(opts: BatonClientOptions = {}): BatonClient {
  const { apiUrl, workspace } = resolveClientSettings(opts);
  const apiKey = resolveApiKey(opts.apiKey);
  const headers: Record<string, string> = { ...opts.headers, [WORKSPACE_HEADER]: workspace };
  if (apiKey) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === AUTHORIZATION_HEADER) delete headers[name];
    headers[AUTHORIZATION_HEADER] = `Bearer ${apiKey}`;
  }
  const link = (opts.batch ?? true) ? httpBatchLink : httpLink;
  const fetchImpl = checkedFetch(apiUrl, opts.fetch ?? globalThis.fetch, Boolean(apiKey), opts.retryRefusedMs, opts.onRetry);
  const client = createTRPCClient<AppRouter>({
    links: [link({ url: `${apiUrl}/trpc`, headers, fetch: fetchImpl })],
  });
  uploaders.set(client, { apiUrl, headers, fetch: fetchImpl });
  return client;
}

const uploaders = new WeakMap<object, { apiUrl: string; headers: Record<string, string>; fetch: typeof fetch }>();

/** A refused or failed streamed upload, with the server's code and message. */
export class BatonUploadError extends Error {
  override name = "BatonUploadError";
  constructor(
    message: string,
    readonly code: string,
    readonly reason: string | null,
  ) {
    super(message);
  }
}

type ResultCreated = Awaited<ReturnType<BatonClient["results"]["create"]["mutate"]>>;

/**
 * Stores bytes as a blob result by streaming them to `POST /api/results/upload` (no base64, no
 * JSON body limit; at most 256 MiB). A client not made by createBatonClient sends base64
 * through `results.create` instead.
 */
export async function uploadResult(
  client: BatonClient,
  bytes: Uint8Array,
  /** `leaseToken`: the worker's lease on the run (a subflow's: its top-level run's); the server writes the row only under it. */
  opts: { mediaType?: string; flowRunId?: string; leaseToken?: string } = {},
): Promise<ResultCreated> {
  const up = uploaders.get(client);
  if (!up) return client.results.create.mutate({ flowRunId: opts.flowRunId, base64: Buffer.from(bytes).toString("base64"), mediaType: opts.mediaType, leaseToken: opts.leaseToken });
  const query = new URLSearchParams();
  if (opts.mediaType) query.set("mediaType", opts.mediaType);
  if (opts.flowRunId) query.set("flowRunId", opts.flowRunId);
  if (opts.flowRunId && opts.leaseToken) query.set("leaseToken", opts.leaseToken);
  const res = await up.fetch(`${up.apiUrl}/results/upload?${query}`, {
    method: "POST",
    headers: { ...up.headers, "content-type": "application/octet-stream" },
    body: bytes as unknown as BodyInit,
  });
  const body = (await res.json().catch(() => undefined)) as
    | { result?: { data: ResultCreated }; error?: { message: string; data?: { code?: string; reason?: string | null } } }
    | undefined;
  if (res.ok && body?.result) return body.result.data;
  throw new BatonUploadError(
    redactSecrets(body?.error?.message ?? `the upload failed (HTTP ${res.status})`),
    body?.error?.data?.code ?? `HTTP_${res.status}`,
    body?.error?.data?.reason ?? null,
  );
}

/** The server could not be reached at all (refused, unknown host, reset, timed out). */
export class BatonConnectionError extends Error {
  override name = "BatonConnectionError";
  constructor(
    readonly apiUrl: string,
    /** A short reason such as "connection refused". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot reach the Baton API at ${apiUrl} (${reason})`, options);
  }
}

/** Something answered, but not as Baton's API does (a wrong URL, a proxy's error page). */
export class BatonNotAnApiError extends Error {
  override name = "BatonNotAnApiError";
  constructor(
    readonly apiUrl: string,
    readonly status: number,
    readonly contentType: string,
    /** Whether the request carried an API key. */
    readonly withKey = false,
  ) {
    super(`The server at ${apiUrl} did not answer as the Baton API (HTTP ${status}${contentType ? `, ${contentType}` : ""})`);
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate",
};

function networkReason(err: unknown): string | undefined {
  // undici reports "fetch failed" with the system error as `cause` (sometimes an AggregateError).
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const candidate = e as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === "string" && NETWORK_REASONS[candidate.code]) return NETWORK_REASONS[candidate.code];
    if (Array.isArray(candidate.errors)) {
      const inner = candidate.errors.map(networkReason).find(Boolean);
      if (inner) return inner;
    }
    e = candidate.cause;
  }
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    // fetch refuses some ports outright (the WHATWG "bad port" list: 1, 9, 25, 6000, …).
    if ((err.cause as Error | undefined)?.message === "bad port") return "fetch refuses this port; choose another";
    return "network error";
  }
  return undefined;
}

/**
 * Transport failures after which the request may or may not have reached the server: the
 * connection was reset or closed while the call was in flight (a proxy dropping connections, a
 * network partition healing, a server killed mid-answer).
 */
const CUT_MID_CALL = new Set(["connection reset", "connection closed", "network error"]);

/**
 * The mutations that may arrive twice without doing anything twice, so a call cut mid-way is
 * sent again (queries always may):
 *   - workers.register (an upsert by name), heartbeat (sets a time), goodbye;
 *   - flowRuns.setState and taskRuns.setState: they carry the lease, so a repeat can only be
 *     refused ("already COMPLETED"), never applied twice; the refusal is what a caller that
 *     lost the first answer gets (the outbox then drops the report: the run has its state);
 *   - taskRuns.create: keyed by (flow run, task key, dynamic key), a repeat returns the first;
 *   - logs.create: a repeat may store a batch twice. Chosen: duplicated log lines over lost
 *     ones (a log line is not a side effect; a gap in the log is worse).
 * Not resent: workers.claim (a lost answer's runs are leased already; a resend would claim
 * more), run creation (a second run), results and artifacts (a second row), and the rest.
 */
const SAFE_TO_RESEND = new Set(["workers.register", "workers.heartbeat", "workers.goodbye", "flowRuns.setState", "taskRuns.setState", "taskRuns.create", "logs.create"]);

function safeToResend(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): boolean {
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (method === "GET") return true;
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const match = /\/trpc\/([^?]+)/.exec(url);
  if (!match) return false;
  // A batched call names its procedures joined by commas: every one must be safe.
  return decodeURIComponent(match[1]!)
    .split(",")
    .every((p) => SAFE_TO_RESEND.has(p));
}

const RETRY_CAP_MS = 1_000;

/** Responses to requests that carried an API key: a 401 then means the key, not its absence. */
const keyedResponses = new WeakSet<Response>();

/**
 * Wraps fetch so that failures below tRPC carry the API URL and a reason a person can act on.
 * With `retryRefusedMs`, a refused connection (the server is down or restarting: the request
 * never reached it, so sending it again cannot do anything twice) is retried with backoff for
 * up to that long — what a worker wants, so runs carry on through a server restart. A call cut
 * mid-way (reset, closed) is retried the same way when it is safe to resend (SAFE_TO_RESEND);
 * before, a reset failed the call at once: a task's report among them, failing its flow run.
 */
function checkedFetch(apiUrl: string, fetchImpl: typeof fetch, withKey: boolean, retryRefusedMs = 0, onRetry?: (reason: string) => void): typeof fetch {
  return async (input, init) => {
    let res: Response;
    const giveUpAt = Date.now() + retryRefusedMs;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetchImpl(input, init);
        break;
      } catch (err) {
        if ((err as { name?: string })?.name === "AbortError") throw err;
        const reason = networkReason(err);
        const body = init?.body;
        const replayable = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
        const retryable = reason === "connection refused" || (reason !== undefined && CUT_MID_CALL.has(reason) && safeToResend(input, init));
        if (retryable && replayable && Date.now() < giveUpAt && !init?.signal?.aborted) {
          if (attempt === 0) onRetry?.(reason);
          // Capped at 1 s: a worker is back within a second of the server (whose zombie killer
          // gives live workers only a worker timeout from its start to heartbeat again).
          const delay = Math.min(RETRY_CAP_MS, 100 * 2 ** Math.min(attempt, 6));
          await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, giveUpAt - Date.now()))));
          continue;
        }
        throw reason ? new BatonConnectionError(apiUrl, reason, { cause: err }) : err;
      }
    }
    if (withKey) keyedResponses.add(res);
    const type = res.headers.get("content-type") ?? "";
    if (!/json|event-stream/i.test(type)) {
      // Drain the body so the connection is released, then say what answered.
      await res.body?.cancel().catch(() => {});
      throw new BatonNotAnApiError(apiUrl, res.status, type.split(";")[0]!.trim(), withKey);
    }
    return res;
  };
}

/** The tRPC error code of a failed call (`NOT_FOUND`, `BAD_REQUEST`, …), if the API answered. */
export function clientErrorCode(err: unknown): string | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  return (err.data as { code?: string } | undefined)?.code;
}

/** The input field at fault (e.g. `parameters.count`), when the API named one. */
export function clientErrorField(err: unknown): string | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  return (err.data as { field?: string | null } | undefined)?.field ?? undefined;
}

/** Where a person gets a key, said in every "sign in" message. */
const KEY_HINT = "create a key in the web UI under Settings → API keys or with `baton api-key create`";

/** Whether the failed call carried an API key (so a 401 is about the key, not its absence). */
function sentKey(err: TRPCClientError<AppRouter>): boolean {
  const response = (err.meta as { response?: unknown } | undefined)?.response;
  return response instanceof Response && keyedResponses.has(response);
}

/**
 * One clear line for a failed call: what went wrong and, where it helps, what to do about it.
 * Input and state errors are the API's own messages, which are written for people. No API key
 * this process holds is ever part of the line.
 */
export function describeClientError(err: unknown): string {
  return redactSecrets(describe(err));
}

function describe(err: unknown): string {
  const cause = err instanceof TRPCClientError ? err.cause : err;
  if (cause instanceof BatonConnectionError) {
    return `${cause.message}. Is \`baton server start\` running? Set BATON_API_URL to point elsewhere.`;
  }
  if (cause instanceof BatonNotAnApiError) {
    if (cause.status === 401 || cause.status === 403) {
      // Not tRPC's answer: something in front of the API (a proxy) refused the request.
      const type = cause.contentType ? `, ${cause.contentType}` : "";
      const what = cause.withKey ? "check BATON_API_KEY or --api-key" : "set BATON_API_KEY or pass --api-key";
      return `The server at ${cause.apiUrl} refused the request (HTTP ${cause.status}${type}). If it is Baton, ${what} (${KEY_HINT}); otherwise check BATON_API_URL.`;
    }
    return `${cause.message}. Check BATON_API_URL: it should be the server's URL ending in /api, such as http://127.0.0.1:4200/api.`;
  }
  if (!(err instanceof TRPCClientError)) {
    return err instanceof Error ? err.message : String(err);
  }
  const code = clientErrorCode(err);
  const field = clientErrorField(err);
  const message = err.message;
  switch (code) {
    case "BAD_REQUEST":
      return field && !message.includes(field) ? `${field}: ${message}` : message;
    case "NOT_FOUND":
      // tRPC's own NOT_FOUND for a path the server does not have: an older server than client.
      if (/^No ("\w+"-)?procedure (found )?on path/.test(message)) {
        return `The Baton API has no ${message.replace(/^.*on path /, "")}: is the server older than this client?`;
      }
      return message;
    case "UNAUTHORIZED":
      if (sentKey(err)) {
        return `Your API key was not accepted${message && message !== "UNAUTHORIZED" ? ` (${message})` : ""}: check BATON_API_KEY or --api-key (${KEY_HINT})`;
      }
      return `Not signed in: set BATON_API_KEY or pass --api-key (${KEY_HINT})`;
    case "FORBIDDEN":
      return sentKey(err) ? `Your key may not do this: ${message}` : `Not allowed: ${message}`;
    case "CONFLICT":
    case "PRECONDITION_FAILED":
      return message;
    case "INTERNAL_SERVER_ERROR":
      return `The Baton API failed: ${message} (see the server's log)`;
    case undefined:
      // No tRPC error body: a response that could not be read.
      return `Unexpected answer from the Baton API: ${message}`;
    default:
      return message;
  }
}
