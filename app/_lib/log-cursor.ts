/**
 * The logs cursor that points just past a line the page already has.
 *
 * `logs.list` hands out a cursor only when a page is full, so a page that has read to the end
 * has none to poll from. Its cursor is base64url JSON `{ t, i }` (server/domain/refs.ts); we
 * build it from the last line. JavaScript times stop at milliseconds and the cursor wants
 * microseconds, so `.123Z` becomes `.123000Z`: that can only repeat lines of the same
 * millisecond (callers drop ids they hold), never skip one.
 */
export function cursorAfter(log: { id: number; timestamp: string }): string {
  const t = new Date(log.timestamp).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  const json = JSON.stringify({ t, i: log.id });
  const base64 = btoa(String.fromCharCode(...new TextEncoder().encode(json)));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
