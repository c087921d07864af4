/**
 * The server's HTTP front as the limit tests need it, without building Next.js: node:http with
 * the same guard server/http-server.ts puts first (remote address, Host check, declared body
 * size), then for /api/trpc the same limits and handler the Next.js route applies, with the
 * request body streamed through (not buffered first, as test/helpers/http-api-server.ts does).
 * /api/health runs `select 1`, as the real health route does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { handleTrpcRequest } from "../../server/api/http";
import { limitTrpcRequest, trpcLimitsFrom } from "../../server/api/http-limits";
import { allowedHosts, type BatonConfig } from "../../server/config";
import type { Db } from "../../server/db/client";
import { createHttpGuard } from "../../server/http-guard";

export interface GuardedServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface GuardedServerOptions {
  maxBodyBytes?: number;
  ratePerSecond?: number;
  auth?: boolean;
  extraHosts?: string;
  /** Extra routes for a test (checked before the API). */
  route?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export async function startGuardedServer(getDb: () => Db, opts: GuardedServerOptions = {}): Promise<GuardedServer> {
  let port = 0;
  const config = (): Pick<BatonConfig, "allowedHosts" | "limits" | "port" | "auth"> => ({
    port,
    allowedHosts: allowedHosts({ host: "127.0.0.1", port, extra: opts.extraHosts }),
    limits: { maxBodyBytes: opts.maxBodyBytes ?? 16 * 1024 * 1024, ratePerSecond: opts.ratePerSecond ?? 0 },
    auth: { enabled: opts.auth ?? false },
  });
  let guard: ReturnType<typeof createHttpGuard> | undefined;
  const server = http.createServer((req, res) => {
    guard ??= createHttpGuard({ config: config() });
    if (guard(req, res)) return;
    if (opts.route?.(req, res)) return;
    void (async () => {
      try {
        const url = `http://${req.headers.host}${req.url ?? "/"}`;
        let response: Response;
        if (req.url === "/api/health") {
          await getDb().execute(sql`select 1`);
          response = Response.json({ status: "ok" });
        } else {
          const headers = new Headers();
          for (const [name, value] of Object.entries(req.headers)) {
            if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
            else if (value !== undefined) headers.set(name, value);
          }
          const hasBody = req.method !== "GET" && req.method !== "HEAD";
          const request = new Request(url, {
            method: req.method,
            headers,
            body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
            // @ts-expect-error: Node's fetch needs duplex for a streamed body; the DOM types lack it.
            duplex: hasBody ? "half" : undefined,
          });
          const limited = await limitTrpcRequest(request, trpcLimitsFrom(config()));
          response = limited instanceof Response ? limited : await handleTrpcRequest(limited, getDb);
        }
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
