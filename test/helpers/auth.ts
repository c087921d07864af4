/**
 * The API with auth on, as a server on a network would run it: better-auth's endpoints and the
 * tRPC endpoint behind one fetch handler, real session cookies and real API keys.
 */
import { TRPCClientError, createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "../../server/api/root";
import { handleTrpcRequest } from "../../server/api/http";
import { RESULT_UPLOAD_PATH, handleResultUpload } from "../../server/api/result-upload";
import { SETUP_TOKEN_HEADER, setupToken } from "../../server/auth/better-auth";
import { authFor, type AuthSettings } from "../../server/auth/identity";
import { useTestDatabase } from "./db";

export const TEST_ORIGIN = "http://baton.test";
export const TEST_SECRET = "a-test-secret-that-is-long-enough-0123456789";

export interface Caller {
  /** Headers that identify this caller: a session cookie, an API key, or nothing. */
  headers: Record<string, string>;
  client: ReturnType<typeof createTRPCClient<AppRouter>>;
}

export function useAuthApi() {
  const handle = useTestDatabase();
  const settings: AuthSettings = { enabled: true, secret: TEST_SECRET, baseUrl: TEST_ORIGIN, trustedOrigins: [TEST_ORIGIN] };

  const fetchApi = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), TEST_ORIGIN), init);
    const { pathname } = new URL(req.url);
    if (pathname.startsWith("/api/auth/")) return authFor(handle.database.db, settings).handler(req);
    if (pathname.startsWith(RESULT_UPLOAD_PATH)) return handleResultUpload(req, handle.database.db, settings);
    return handleTrpcRequest(req, () => handle.database.db, undefined, () => settings);
  };

  const as = (headers: Record<string, string> = {}): Caller => ({
    headers,
    client: createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${TEST_ORIGIN}/api/trpc`, headers, fetch: (i, init) => fetchApi(i as string, init as RequestInit) })],
    }),
  });

  async function authPost(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetchApi(`${TEST_ORIGIN}/api/auth${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: TEST_ORIGIN, ...headers },
      body: JSON.stringify(body),
    });
  }

  function sessionCookie(res: Response): string {
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.includes("session_token="));
    if (!cookie) throw new Error(`no session cookie in the answer (HTTP ${res.status})`);
    return cookie;
  }

  return {
    settings,
    get db() {
      return handle.database.db;
    },
    fetch: fetchApi,
    authPost,
    /** A caller with these headers (workspace, credentials). */
    as,
    anonymous: () => as(),
    /** Creates the first owner (with the setup token) and returns them signed in. */
    async signUpFirstOwner(email = "owner@example.com", password = "correct horse battery") {
      const res = await authPost("/sign-up/email", { name: "Owner", email, password }, { [SETUP_TOKEN_HEADER]: setupToken(TEST_SECRET) });
      if (!res.ok) throw new Error(`sign-up failed: HTTP ${res.status} ${await res.text()}`);
      return { cookie: sessionCookie(res), ...as({ cookie: sessionCookie(res) }) };
    },
    /** Signs up an invited address (the invitation must be open) and accepts the invitation. */
    async signUpInvited(invitationId: string, email: string, password = "another long password") {
      const res = await authPost("/sign-up/email", { name: email.split("@")[0], email, password });
      if (!res.ok) throw new Error(`sign-up failed: HTTP ${res.status} ${await res.text()}`);
      const caller = as({ cookie: sessionCookie(res) });
      await caller.client.invitations.accept.mutate({ id: invitationId });
      return { cookie: sessionCookie(res), ...caller };
    },
    async signIn(email: string, password: string) {
      const res = await authPost("/sign-in/email", { email, password });
      return { res, cookie: res.ok ? sessionCookie(res) : undefined };
    },
  };
}

export function trpcCode(err: unknown): string {
  if (err instanceof TRPCClientError) return (err.data as { code?: string } | undefined)?.code ?? "UNKNOWN";
  return "NOT_A_TRPC_ERROR";
}
