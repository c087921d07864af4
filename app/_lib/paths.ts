/**
 * Where a visitor may go, as pure functions of strings: shared by proxy.ts (before a page
 * renders) and the pages themselves (app/_lib/viewer.ts, /sign-in). No Next.js imports, so unit
 * tests load it as is (test/unit/paths.test.ts).
 */

/** The header proxy.ts puts the requested path (with its query) in, for the pages to read. */
export const PATH_HEADER = "x-baton-path";

/** better-auth's session cookie, with its __Secure- prefix behind https, holding a value. */
const SESSION_COOKIE = /(?:^|;\s*)(?:__Secure-)?better-auth\.session_token=[^;\s]/;

/** Whether a `cookie` request header carries a session cookie (present, not checked). */
export function hasSessionCookie(cookieHeader: string | null | undefined): boolean {
  return SESSION_COOKIE.test(cookieHeader ?? "");
}

/** Pages anyone may open signed out: signing in, the first-run setup, an invitation link. Exact paths only. */
export function isPublicPath(pathname: string): boolean {
  return pathname === "/sign-in" || pathname === "/setup" || /^\/invite\/[^/]+$/.test(pathname);
}

/** The sign-in page's query that brings the visitor back to `here` (a path with its query); the home page needs none. */
export function signInSearch(here: string): string {
  return here === "/" ? "" : `?next=${encodeURIComponent(here)}`;
}

/** The sign-in page, coming back to `here` afterwards. */
export function signInUrl(here: string): string {
  return `/sign-in${signInSearch(here)}`;
}

// Any origin will do: a `next` that resolves against it to another origin leaves this server.
const HERE = "http://baton.invalid";

/**
 * A `?next=` value that stays on this server: a path, not `//host`, `/\host` or a URL. Browsers
 * drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.com` is `//evil.com` to
 * them: a value with a control character goes to `fallback`, and so does any that the URL parser
 * (the browser's rules) resolves to another origin.
 */
export function safeNext(next: string | string[] | undefined, fallback = "/runs"): string {
  const value = Array.isArray(next) ? next[0] : next;
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(value)) return fallback;
  try {
    return new URL(value, HERE).origin === HERE ? value : fallback;
  } catch {
    return fallback;
  }
}
