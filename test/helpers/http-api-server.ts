/**
 * The API over real HTTP, for tests that drive it from another process (the CLI, a worker):
 * node:http in front of the same fetch handler the Next.js route uses, on a free port.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { handleTrpcRequest } from "../../server/api/http";
import type { EngineDeps } from "../../server/api/trpc";
import { authFor, type AuthSettings } from "../../server/auth/identity";
import { RESULT_UPLOAD_PATH, handleResultUpload } from "../../server/api/result-upload";
import type { Db } from "../../server/db/client";
import { useTestDatabase } from "./db";

export interface HttpApiServer {
  /** The API's base URL, as BATON_API_URL would be: `http://127.0.0.1:<port>/api`. */
  apiUrl: string;
  close(): Promise<void>;
}

/**
 * `getEngine` is for tests that need engine settings or signals other than the defaults; `auth`
 * turns auth on, with better-auth's endpoints served at /api/auth as the real server does.
 */
export async function startHttpApiServer(getDb: () => Db, getEngine?: () => EngineDeps | undefined, auth?: AuthSettings, port = 0): Promise<HttpApiServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = chunks.length && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined;
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
          else if (value !== undefined) headers.set(name, value);
        }
        const url = `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`;
        // The caller hanging up aborts the request, as behind the real server (a claim then takes nothing).
        const hangUp = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) hangUp.abort();
        });
        const request = new Request(url, { method: req.method, headers, body, signal: hangUp.signal });
        const pathname = new URL(url).pathname;
        const response =
          auth?.enabled && pathname.startsWith("/api/auth/")
            ? await authFor(getDb(), auth).handler(request)
            : pathname.startsWith(RESULT_UPLOAD_PATH)
              ? await handleResultUpload(request, getDb(), auth ?? { enabled: false })
              : await handleTrpcRequest(request, getDb, getEngine, () => auth ?? { enabled: false });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        // Streamed, so subscriptions (SSE) work as they do behind Next.js.
        const reader = response.body?.getReader();
        for (let next = await reader?.read(); next && !next.done; next = await reader!.read()) res.write(next.value);
        res.end();
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  const { port: listening } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${listening}/api`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A test database and the API over HTTP in front of it, for the file's tests. */
export function useHttpApiServer(): { readonly apiUrl: string; readonly db: Db } {
  const handle = useTestDatabase();
  let server: HttpApiServer | undefined;
  beforeAll(async () => {
    server = await startHttpApiServer(() => handle.database.db);
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get apiUrl() {
      if (!server) throw new Error("the HTTP API server is not started yet (use it inside a test or hook)");
      return server.apiUrl;
    },
    get db() {
      return handle.database.db;
    },
  };
}
