/**
 * What the server checks on every request before Next.js sees it (server/http-server.ts calls
 * it first thing):
 *   1. `x-baton-remote-address` is set to the socket's address, and any value the client sent
 *      is dropped, so rate limits and auth can trust it;
 *   2. the Host header must be one the server answers to (config.allowedHosts): a web page on a
 *      rebinding DNS name must not reach a server on this machine. 421 otherwise;
 *   3. a Content-Length over BATON_MAX_BODY_BYTES is refused with 413 before a byte of the body
 *      is read. (Bodies without one, chunked, are counted as they stream in by the tRPC route:
 *      server/api/http-limits.ts.)
 */
import type http from "node:http";
import type { BatonConfig } from "./config";
import { bodyTooLargeMessage, REMOTE_ADDRESS_HEADER, RESULT_UPLOAD_PATH, trpcErrorJson } from "./api/http-limits";

export interface HttpGuardOptions {
  config: Pick<BatonConfig, "allowedHosts" | "limits" | "port">;
  /** The port the server really listens on, when it differs from config.port (e.g. port 0). */
  port?: () => number | undefined;
}

/** Returns true when it has answered the request itself (then the caller must not). */
export type HttpGuard = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** `name:port`, lower case, as config.allowedHosts has them; no port means the scheme's default. */
function normaliseHost(host: string, defaultPort: number): string {
  const h = host.trim().toLowerCase().replace(/\.$/, "");
  if (/^\[[^\]]*\]$/.test(h) || !/:\d+$/.test(h)) return `${h}:${defaultPort}`;
  return h;
}

export function createHttpGuard(opts: HttpGuardOptions): HttpGuard {
  const { config } = opts;
  let allowed: Set<string> | undefined;
  const allowedHosts = (): Set<string> => {
    if (allowed) return allowed;
    const set = new Set(config.allowedHosts);
    // Listening on another port than the configured one (tests listen on 0): the same names
    // with the real port.
    const actual = opts.port?.();
    if (actual && actual !== config.port) {
      for (const entry of config.allowedHosts) {
        if (entry.endsWith(`:${config.port}`)) set.add(`${entry.slice(0, -String(config.port).length)}${actual}`);
      }
    }
    // Computed once the server listens (the first request comes after that).
    if (!opts.port || actual) allowed = set;
    return set;
  };

  return (req, res) => {
    // 1. The caller's address, from the socket and nowhere else.
    delete req.headers[REMOTE_ADDRESS_HEADER];
    if (req.rawHeaders.some((h, i) => i % 2 === 0 && h.toLowerCase() === REMOTE_ADDRESS_HEADER)) {
      const kept: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i]!.toLowerCase() !== REMOTE_ADDRESS_HEADER) kept.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      req.rawHeaders.splice(0, req.rawHeaders.length, ...kept);
    }
    const address = req.socket.remoteAddress ?? "unknown";
    req.headers[REMOTE_ADDRESS_HEADER] = address;
    req.rawHeaders.push(REMOTE_ADDRESS_HEADER, address);

    // 2. The Host header.
    const host = req.headers.host;
    const hosts = allowedHosts();
    if (!host || (!hosts.has(normaliseHost(host, 80)) && !hosts.has(host.trim().toLowerCase()))) {
      res.writeHead(421, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", connection: "close" });
      res.end(
        `Misdirected request: this Baton server does not answer to the host ${JSON.stringify(host ?? "")}.\n` +
          `If that is its address, set BATON_PUBLIC_URL to the URL users open, or add the host (name:port) to BATON_ALLOWED_HOSTS.\n` +
          `It answers to: ${[...hosts].join(", ")}\n`,
      );
      return true;
    }

    // 3. A declared body over the limit.
    // A streamed result upload is bounded by the result size, counted as it arrives (its route).
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    const streamed = (req.url ?? "").startsWith(RESULT_UPLOAD_PATH);
    if (!streamed && declared > config.limits.maxBodyBytes) {
      const url = req.url ?? "/";
      const body = url.startsWith("/api/trpc")
        ? trpcErrorJson({ url, code: "PAYLOAD_TOO_LARGE", message: bodyTooLargeMessage(config.limits.maxBodyBytes) })
        : JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: bodyTooLargeMessage(config.limits.maxBodyBytes) } });
      res.writeHead(413, { "content-type": "application/json", "x-content-type-options": "nosniff", connection: "close" });
      res.end(body);
      return true;
    }
    return false;
  };
}
