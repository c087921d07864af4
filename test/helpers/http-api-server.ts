/**
 * The API over real HTTP, for tests that drive it from another process (the CLI, a worker):
 * node:http in front of the same fetch handler the Next.js route uses, on a free port.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { handleTrpcRequest } from "../../server/api/http";
import { serveNodeRequest } from "../../server/node-request";
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
  const dispatch = (request: Request): Promise<Response> => {
    const pathname = new URL(request.url).pathname;
    if (auth?.enabled && pathname.startsWith("/api/auth/")) return authFor(getDb(), auth).handler(request);
    if (pathname.startsWith(RESULT_UPLOAD_PATH)) return handleResultUpload(request, getDb(), auth ?? { enabled: false });
    return handleTrpcRequest(request, getDb, getEngine, () => auth ?? { enabled: false });
  };
  // The server's own request path: streamed body and answer, aborted when the caller hangs up.
  const server = http.createServer((req, res) => {
    serveNodeRequest(dispatch, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
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
