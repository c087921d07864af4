/**
 * The cookie the workspace switcher sets; the server reads it when a request names no workspace
 * header (server/api/trpc.ts, WORKSPACE_COOKIE: the same name). Safe in the browser.
 */
export const WORKSPACE_COOKIE = "baton-workspace";

/** Makes `slug` the workspace this browser's pages show (for a year, on every path). */
export function setWorkspaceCookie(slug: string): void {
  document.cookie = `${WORKSPACE_COOKIE}=${encodeURIComponent(slug)}; path=/; max-age=31536000; samesite=lax`;
}
