/**
 * The HTTP front's limits over real sockets: declared and streamed body size (413), deep JSON
 * bodies (400 naming the field), the Host check (421), the trusted remote-address header, and
 * requests a second per address (429 with Retry-After).
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REMOTE_ADDRESS_HEADER, trpcErrorJson } from "../../server/api/http-limits";
import { useTestDatabase } from "../helpers/db";
import { startGuardedServer, type GuardedServer } from "../helpers/guarded-server";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request, so the test chooses Host, Content-Length and chunking itself. */
function request(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; chunks?: (string | Buffer)[]; chunkDelayMs?: number },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: opts.method ?? "GET", path: opts.path, headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // The server may answer and close before the whole body is sent: that is the point.
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    void (async () => {
      for (const chunk of opts.chunks ?? []) {
        if (req.destroyed) break;
        req.write(chunk);
        if (opts.chunkDelayMs) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
      }
      req.end();
    })();
  });
}

const json = (a: Answer) => JSON.parse(a.body) as { error: { message: string; code: number; data: { code: string; httpStatus: number; path: string | null; field: string | null } } };

describe("HTTP limits", () => {
  const db = useTestDatabase();
  const LIMIT = 64 * 1024;
  let server: GuardedServer;
  const seen: string[] = [];

  beforeAll(async () => {
    server = await startGuardedServer(() => db.database.db, {
      maxBodyBytes: LIMIT,
      extraHosts: "baton.internal",
      route: (req, res) => {
        if (req.url !== "/echo-address") return false;
        seen.push(String(req.headers[REMOTE_ADDRESS_HEADER]));
        res.end(String(req.headers[REMOTE_ADDRESS_HEADER]));
        return true;
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers a normal call", async () => {
    const body = JSON.stringify({ name: "limits-ok" });
    const res = await request(server.port, { method: "POST", path: "/api/trpc/flows.create", headers: { "content-type": "application/json", "content-length": String(body.length) }, chunks: [body] });
    expect(res.status).toBe(200);
  });

  it("refuses a declared body over the limit before reading it (413, tRPC-shaped)", async () => {
    const res = await request(server.port, {
      method: "POST",
      path: "/api/trpc/logs.create",
      headers: { "content-type": "application/json", "content-length": String(50 * 1024 * 1024) },
      chunks: [Buffer.alloc(256 * 1024, "[")],
    });
    expect(res.status).toBe(413);
    const err = json(res).error;
    expect(err.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413, path: "logs.create" });
    expect(err.code).toBe(-32013);
    expect(err.message).toBe(`the request body is larger than ${LIMIT} bytes, the server's limit (BATON_MAX_BODY_BYTES)`);
  });

  it("counts a chunked body as it streams and stops at the limit", async () => {
    const chunk = Buffer.from(`"${"x".repeat(8 * 1024)}",`);
    const res = await request(server.port, {
      method: "POST",
      path: "/api/trpc/flows.create",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks: ["[", ...Array.from({ length: 40 }, () => chunk), "1]"],
      chunkDelayMs: 2,
    });
    expect(res.status).toBe(413);
    expect(json(res).error.data.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses a deep JSON body as it arrives, naming the field", async () => {
    const res = await request(server.port, {
      method: "POST",
      path: "/api/trpc/flows.create",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      chunks: ['{"name":"deep","tags":', "[".repeat(10_000)],
    });
    expect(res.status).toBe(400);
    const err = json(res).error;
    expect(err.data).toMatchObject({ code: "BAD_REQUEST", field: "tags.0.0.0.0.0.0.0", path: "flows.create" });
    expect(err.message).toBe("tags.0.0.0.0.0.0.0.…: must not be nested deeper than 64 levels");
  });

  it("answers a batch with one error per call", async () => {
    const body = `{"0":{"name":${"[".repeat(100)}`;
    const res = await request(server.port, {
      method: "POST",
      path: "/api/trpc/flows.create,flows.create?batch=1",
      headers: { "content-type": "application/json", "content-length": String(body.length) },
      chunks: [body],
    });
    expect(res.status).toBe(400);
    const errors = JSON.parse(res.body) as { error: { data: { field: string; path: string } } }[];
    expect(errors).toHaveLength(2);
    expect(errors[0]!.error.data).toMatchObject({ field: "name.0.0.0.0.0.0.0", path: "flows.create" });
  });

  it("refuses other Host names with 421, saying which setting to use", async () => {
    const evil = await request(server.port, { path: "/api/health", headers: { host: `rebind.attacker.example:${server.port}` } });
    expect(evil.status).toBe(421);
    expect(evil.body).toMatch(/does not answer to the host "rebind\.attacker\.example:\d+"/);
    expect(evil.body).toMatch(/BATON_PUBLIC_URL/);
    expect(evil.body).toMatch(/BATON_ALLOWED_HOSTS/);
    const wrongPort = await request(server.port, { path: "/api/health", headers: { host: "127.0.0.1:1" } });
    expect(wrongPort.status).toBe(421);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `LOCALHOST:${server.port}`, `[::1]:${server.port}`, `baton.internal:${server.port}`]) {
      const ok = await request(server.port, { path: "/api/health", headers: { host } });
      expect(ok.status, host).toBe(200);
    }
  });

  it("sets the remote address from the socket, whatever the client sends", async () => {
    const res = await request(server.port, { path: "/echo-address", headers: { [REMOTE_ADDRESS_HEADER]: "203.0.113.9", "X-Baton-Remote-Address": "203.0.113.10" } });
    expect(res.body).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(seen.every((a) => !a.includes("203.0.113"))).toBe(true);
  });

  it("shapes errors as tRPC does, for single calls and batches", () => {
    expect(JSON.parse(trpcErrorJson({ url: "/api/trpc/a.b", code: "TOO_MANY_REQUESTS", message: "slow down" }))).toEqual({
      error: { message: "slow down", code: -32029, data: { code: "TOO_MANY_REQUESTS", httpStatus: 429, path: "a.b", field: null, reason: null } },
    });
    expect(JSON.parse(trpcErrorJson({ url: "/api/trpc/a.b,c.d?batch=1", code: "BAD_REQUEST", message: "m", field: "f" }))).toHaveLength(2);
  });
});

describe("requests a second", () => {
  const db = useTestDatabase();

  it("limits each address, with Retry-After, when auth is on", async () => {
    const server = await startGuardedServer(() => db.database.db, { ratePerSecond: 5, auth: true });
    try {
      const answers: Answer[] = [];
      for (let i = 0; i < 20; i++) answers.push(await request(server.port, { path: "/api/trpc/workspaces.list" }));
      const refused = answers.filter((a) => a.status === 429);
      // A burst of 10 (two seconds' worth), then one every 200 ms.
      expect(refused.length).toBeGreaterThanOrEqual(5);
      expect(answers.slice(0, 10).every((a) => a.status !== 429)).toBe(true);
      const err = json(refused[0]!).error;
      expect(err.data).toMatchObject({ code: "TOO_MANY_REQUESTS", httpStatus: 429, path: "workspaces.list" });
      expect(err.message).toMatch(/at most 5 a second \(BATON_RATE_LIMIT_PER_S\)/);
      expect(Number(refused[0]!.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  });

  it("leaves loopback alone when auth is off (the single local user)", async () => {
    const server = await startGuardedServer(() => db.database.db, { ratePerSecond: 5, auth: false });
    try {
      for (let i = 0; i < 30; i++) expect((await request(server.port, { path: "/api/trpc/workspaces.list" })).status).not.toBe(429);
    } finally {
      await server.close();
    }
  });
});
