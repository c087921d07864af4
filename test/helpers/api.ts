/**
 * The API as tests use it: an in-process caller (with a chosen workspace and actor), and the
 * real HTTP handler for tests that check what goes over the wire.
 */
import { TRPCClientError, createTRPCClient, httpLink } from "@trpc/client";
import { expect } from "vitest";
import { createCaller, type AppRouter } from "../../server/api/root";
import { handleTrpcRequest } from "../../server/api/http";
import { createContext, type EngineDeps } from "../../server/api/trpc";
import { loadEngineSettings } from "../../server/engine/settings";
import { useTestDatabase } from "./db";

export function useTestApi() {
  const handle = useTestDatabase();
  return {
    get db() {
      return handle.database.db;
    },
    get database() {
      return handle.database;
    },
    /** An in-process caller; headers choose the workspace (`x-baton-workspace`) and actor. */
    caller(headers: Record<string, string> = {}) {
      return createCaller(createContext({ db: handle.database.db, headers: new Headers(headers) }));
    },
    /** A typed tRPC client whose requests go through the real HTTP handler, in-process. */
    client(headers: Record<string, string> = {}, engine?: Partial<EngineDeps>) {
      const deps = engine ? { settings: loadEngineSettings({}), ...engine } : undefined;
      return createTRPCClient<AppRouter>({
        links: [
          httpLink({
            url: "http://baton.test/api/trpc",
            headers,
            fetch: (input, init) =>
              handleTrpcRequest(new Request(input as string, init as RequestInit), () => handle.database.db, () => deps),
          }),
        ],
      });
    },
    /** A raw HTTP request to the tRPC endpoint, for checking status codes and bodies. */
    fetch(path: string, init?: RequestInit) {
      return handleTrpcRequest(new Request(`http://baton.test/api/trpc/${path}`, init), () => handle.database.db);
    },
  };
}

/** Asserts that a call failed with the given tRPC code, and returns the error for more checks. */
export async function expectTrpcError(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<{ message: string; code: string; field: string | null }> {
  const err = await promise.then(
    () => {
      throw new Error(`expected the call to fail with ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  const info = normaliseError(err);
  expect(info.code, `error: ${info.message}`).toBe(code);
  if (message) expect(info.message).toMatch(message);
  return info;
}

function normaliseError(err: unknown): { message: string; code: string; field: string | null } {
  if (err instanceof TRPCClientError) {
    const data = err.data as { code?: string; field?: string | null } | undefined;
    return { message: err.message, code: data?.code ?? "UNKNOWN", field: data?.field ?? null };
  }
  const e = err as { code?: string; message?: string; cause?: { field?: string } };
  // Server-side callers throw TRPCError; format the message as the HTTP formatter would for zod.
  const cause = (err as { cause?: unknown }).cause as { issues?: { path: PropertyKey[]; message: string }[]; field?: string } | undefined;
  if (cause?.issues) {
    const first = cause.issues[0];
    return {
      code: e.code ?? "UNKNOWN",
      message: cause.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "),
      field: first?.path.length ? first.path.join(".") : null,
    };
  }
  return { code: e.code ?? "UNKNOWN", message: e.message ?? String(err), field: cause?.field ?? null };
}
