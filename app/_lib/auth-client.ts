/**
 * better-auth's browser client for the sign-in, setup and invitation pages: same origin, at
 * /api/auth. Made on first use (in an event handler), never during server rendering.
 *
 * Every call answers `{ data, error }`; `error.message` is the server's own reason, shown as is.
 */
import { createAuthClient } from "better-auth/react";

/** better-auth's sign-up hook reads the first owner's setup token from this header (server/auth/better-auth.ts). */
export const SETUP_TOKEN_HEADER = "x-baton-setup-token";

let client: ReturnType<typeof createAuthClient> | undefined;

export function authClient() {
  client ??= createAuthClient({ baseURL: window.location.origin, basePath: "/api/auth" });
  return client;
}

/** The message to show for a failed better-auth call. */
export function authErrorMessage(error: { message?: string; status?: number; statusText?: string } | null | undefined): string {
  if (!error) return "Something went wrong";
  if (error.message) return error.message;
  if (error.status === 429) return "Too many attempts: wait a little and try again";
  return error.statusText || `The server answered ${error.status ?? "with an error"}`;
}

/** Throws a failed better-auth call's message (for `useAuthRequest` to show); a call that worked passes. */
export function throwIfFailed(result: { error: Parameters<typeof authErrorMessage>[0] }): void {
  if (result.error) throw new Error(authErrorMessage(result.error));
}

/** Signs out and goes to the sign-in page (a full load: every page re-renders signed out). */
export async function signOutAndLeave(to = "/sign-in"): Promise<void> {
  await authClient().signOut();
  window.location.assign(to);
}
