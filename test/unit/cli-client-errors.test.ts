import { describe, expect, it } from "vitest";
import { createBatonClient, describeClientError, resolveClientSettings, WORKSPACE_HEADER } from "../../server/client";
import * as trpc from "../../server/api/trpc";
import { describeCliError } from "../../cli/errors";
import { ConfigError } from "../../server/config";

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
}

function jsonError(code: string, httpStatus: number, message: string, field: string | null = null): Response {
  return new Response(JSON.stringify({ error: { message, code: -32000, data: { code, httpStatus, field } } }), {
    status: httpStatus,
    headers: { "content-type": "application/json" },
  });
}

describe("createBatonClient", () => {
  it("uses the server's header name for the workspace; sends no actor of its own (the server takes it from the key)", async () => {
    expect(WORKSPACE_HEADER).toBe(trpc.WORKSPACE_HEADER);
    let seen: { url: string; headers: Headers } | undefined;
    const client = createBatonClient({
      apiUrl: "http://baton.test:9000/api/",
      workspace: "lab",
      batch: false,
      fetch: async (input, init) => {
        seen = { url: String(input), headers: new Headers(init?.headers) };
        return new Response(JSON.stringify({ result: { data: [] } }), { headers: { "content-type": "application/json" } });
      },
    });
    expect(await client.workPools.list.query()).toEqual([]);
    expect(seen?.url).toMatch(/^http:\/\/baton\.test:9000\/api\/trpc\/workPools\.list/);
    expect(seen?.headers.get(WORKSPACE_HEADER)).toBe("lab");
    expect(seen?.headers.get("x-baton-actor")).toBeNull();
  });

  it("defaults from BATON_API_URL, then PORT, and names a bad variable", () => {
    expect(resolveClientSettings({}, {})).toEqual({ apiUrl: "http://127.0.0.1:4200/api", workspace: "default" });
    expect(resolveClientSettings({}, { PORT: "5000", BATON_WORKSPACE: "ml" })).toEqual({
      apiUrl: "http://127.0.0.1:5000/api",
      workspace: "ml",
    });
    expect(resolveClientSettings({}, { BATON_API_URL: "https://baton.example.com/api" }).apiUrl).toBe(
      "https://baton.example.com/api",
    );
    // Server-only settings do not get in a client's way.
    expect(() => resolveClientSettings({}, { DATABASE_URL: "mysql://nope" })).not.toThrow();
    expect(() => resolveClientSettings({}, { BATON_API_URL: "ftp://x" })).toThrow(/BATON_API_URL/);
  });
});

describe("describeClientError", () => {
  const client = (fetchImpl: typeof fetch) =>
    createBatonClient({ apiUrl: "http://127.0.0.1:4299/api", fetch: fetchImpl, batch: false });

  it("says the API cannot be reached, and what to do", async () => {
    const refused = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    };
    expect(describeClientError(await failureOf(client(refused).workPools.list.query()))).toBe(
      "Cannot reach the Baton API at http://127.0.0.1:4299/api (connection refused). " +
        "Is `baton server start` running? Set BATON_API_URL to point elsewhere.",
    );
    const unknownHost = async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("getaddrinfo"), { code: "ENOTFOUND" }) });
    };
    expect(describeClientError(await failureOf(client(unknownHost).workPools.list.query()))).toMatch(/\(host not found\)/);
  });

  it("says when something other than the API answered", async () => {
    const html = async () => new Response("<html>Not here</html>", { status: 404, headers: { "content-type": "text/html" } });
    expect(describeClientError(await failureOf(client(html).workPools.list.query()))).toMatch(
      /^The server at http:\/\/127\.0\.0\.1:4299\/api did not answer as the Baton API \(HTTP 404, text\/html\)\. Check BATON_API_URL/,
    );
  });

  it("passes the API's own messages through, naming the field when the message does not", async () => {
    const cases: [Response, string][] = [
      [jsonError("NOT_FOUND", 404, 'Work pool "x" was not found'), 'Work pool "x" was not found'],
      [jsonError("BAD_REQUEST", 400, "parameters.count: must be integer", "parameters.count"), "parameters.count: must be integer"],
      [jsonError("BAD_REQUEST", 400, "must be integer", "parameters.count"), "parameters.count: must be integer"],
      [jsonError("PRECONDITION_FAILED", 412, "the run is COMPLETED and cannot be cancelled"), "the run is COMPLETED and cannot be cancelled"],
      [jsonError("INTERNAL_SERVER_ERROR", 500, "boom"), "The Baton API failed: boom (see the server's log)"],
      [
        jsonError("NOT_FOUND", 404, 'No procedure found on path "flows.list"'),
        'The Baton API has no "flows.list": is the server older than this client?',
      ],
    ];
    for (const [response, expected] of cases) {
      expect(describeClientError(await failureOf(client(async () => response.clone()).workPools.list.query()))).toBe(expected);
    }
  });

  it("gives the CLI one line for a configuration error", () => {
    expect(describeCliError(new ConfigError('Invalid configuration:\n  PORT must be a number (got "abc")\n  HOST must not be empty'))).toBe(
      'Invalid configuration: PORT must be a number (got "abc"); HOST must not be empty',
    );
  });
});
