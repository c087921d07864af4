/**
 * Limits on a tRPC request before tRPC reads it: requests a second per remote address, the
 * body's size (counted as it streams in, so a chunked upload without Content-Length stops at
 * the limit instead of being buffered whole) and its JSON nesting (scanned as it streams in, so
 * 50 MB of `[` is refused after its 65th byte instead of costing seconds of `JSON.parse`).
 * Refusals are tRPC-shaped JSON errors, so clients show them like any other error.
 */
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { isLoopbackHost, type BatonConfig } from "../config";
import { JsonDepthScanner, MAX_JSON_DEPTH } from "./input-guard";
import { sharedRateLimiter, type RateLimiter } from "./rate-limit";

/** Set by the HTTP front (server/http-guard.ts) from the socket; a client's own value is dropped. */
export const REMOTE_ADDRESS_HEADER = "x-baton-remote-address";
/** Streamed blob uploads (server/api/result-upload.ts): bounded by the result size, not the body limit. */
export const RESULT_UPLOAD_PATH = "/api/results/upload";

/** The largest body when nothing is configured (BATON_MAX_BODY_BYTES's default). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export type LimitErrorCode = "BAD_REQUEST" | "PAYLOAD_TOO_LARGE" | "TOO_MANY_REQUESTS";

const HTTP_STATUS: Record<LimitErrorCode, number> = { BAD_REQUEST: 400, PAYLOAD_TOO_LARGE: 413, TOO_MANY_REQUESTS: 429 };

/** The procedures a tRPC URL names (`/api/trpc/a.b,c.d?batch=1`) and whether it is a batch. */
function callsOf(url: string): { paths: string[]; batch: boolean } {
  try {
    const u = new URL(url, "http://baton.invalid");
    const rest = u.pathname.replace(/^\/api\/trpc\/?/, "");
    const paths = rest ? decodeURIComponent(rest).split(",") : [""];
    return { paths, batch: u.searchParams.get("batch") === "1" };
  } catch {
    return { paths: [""], batch: false };
  }
}

/**
 * The JSON body tRPC itself would send for an error: one error for a single call, an array of
 * them (one per call) for a batch. `data.field` as Baton's error formatter adds it.
 */
export function trpcErrorJson(opts: { url: string; code: LimitErrorCode; message: string; field?: string }): string {
  const { paths, batch } = callsOf(opts.url);
  const one = (path: string) => ({
    error: {
      message: opts.message,
      code: TRPC_ERROR_CODES_BY_KEY[opts.code],
      data: { code: opts.code, httpStatus: HTTP_STATUS[opts.code], path: path || null, field: opts.field ?? null, reason: null },
    },
  });
  return JSON.stringify(batch ? paths.map(one) : one(paths[0] ?? ""));
}

export function trpcErrorResponse(opts: {
  url: string;
  code: LimitErrorCode;
  message: string;
  field?: string;
  headers?: Record<string, string>;
}): Response {
  return new Response(trpcErrorJson(opts), {
    status: HTTP_STATUS[opts.code],
    headers: { "content-type": "application/json", "x-content-type-options": "nosniff", ...opts.headers },
  });
}

export function bodyTooLargeMessage(maxBodyBytes: number): string {
  return `the request body is larger than ${maxBodyBytes} bytes, the server's limit (BATON_MAX_BODY_BYTES)`;
}

/** `::ffff:127.0.0.1` is IPv4 loopback as an IPv6 socket reports it. */
export function isLoopbackAddress(address: string | null | undefined): boolean {
  if (!address) return false;
  return isLoopbackHost(address.replace(/^::ffff:/i, ""));
}

export interface TrpcLimits {
  /** The largest body, in bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Requests a second per remote address; none when absent. */
  rateLimiter?: RateLimiter;
  /**
   * Addresses the rate limit skips. With auth off the server listens on loopback only and
   * every caller is the one local user (the test suite and benchmarks among them), so the
   * route exempts loopback then; with auth on, nobody is exempt.
   */
  exempt?: (address: string) => boolean;
}

/**
 * Applies the limits to a request. Returns a refusal, or the request to hand to tRPC: the same
 * one when it has no body, else a copy whose body has been read (within the limit) and checked.
 */
export async function limitTrpcRequest(req: Request, limits: TrpcLimits = {}): Promise<Request | Response> {
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const url = req.url;

  if (limits.rateLimiter?.enabled) {
    const address = req.headers.get(REMOTE_ADDRESS_HEADER) ?? "unknown";
    if (!limits.exempt?.(address)) {
      const decision = limits.rateLimiter.take(`address:${address}`);
      if (!decision.ok) {
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        return trpcErrorResponse({
          url,
          code: "TOO_MANY_REQUESTS",
          message: `too many requests from ${address}: at most ${limits.rateLimiter.ratePerSecond} a second (BATON_RATE_LIMIT_PER_S); try again in ${seconds} s`,
          headers: { "retry-after": String(seconds) },
        });
      }
    }
  }

  if (req.method === "GET" || req.method === "HEAD" || !req.body) return req;
  const tooLarge = () => trpcErrorResponse({ url, code: "PAYLOAD_TOO_LARGE", message: bodyTooLargeMessage(maxBodyBytes) });
  const declared = Number(req.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBodyBytes) {
    await req.body.cancel().catch(() => {});
    return tooLarge();
  }

  const type = req.headers.get("content-type") ?? "";
  const json = !/multipart\/form-data|application\/octet-stream/i.test(type);
  const scanner = json ? new JsonDepthScanner(callsOf(url).batch ? MAX_JSON_DEPTH + 1 : MAX_JSON_DEPTH, callsOf(url).batch ? 1 : 0) : undefined;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      // The client went away mid-body: nobody is listening for an answer.
      return trpcErrorResponse({ url, code: "BAD_REQUEST", message: `the request body could not be read (${(err as Error).message})` });
    }
    if (next.done) break;
    total += next.value.byteLength;
    if (total > maxBodyBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge();
    }
    const problem = scanner?.push(next.value);
    if (problem) {
      await reader.cancel().catch(() => {});
      return trpcErrorResponse({ url, code: "BAD_REQUEST", message: problem.message, field: problem.field });
    }
    chunks.push(next.value);
  }
  const body = Buffer.concat(chunks, total);
  return new Request(url, { method: req.method, headers: req.headers, body, signal: req.signal });
}

/** The limits the server's configuration asks for; one rate limiter per process. */
export function trpcLimitsFrom(config: Pick<BatonConfig, "limits" | "auth">): TrpcLimits {
  return {
    maxBodyBytes: config.limits.maxBodyBytes,
    rateLimiter: sharedRateLimiter("trpc-address", { ratePerSecond: config.limits.ratePerSecond }),
    // Auth off: loopback only, one local user (tests, benchmarks, the CLI); not worth limiting.
    exempt: config.auth.enabled ? undefined : isLoopbackAddress,
  };
}
