/**
 * Headers for serving what users and their runs wrote (artifact files, result blobs, model
 * files). Such bytes may be HTML or script under any name; served from Baton's own origin they
 * could otherwise run with a signed-in user's cookies. So: no content sniffing, a sandboxed
 * document that may load nothing, and (for downloads) an attachment, never an inline page.
 */

export const USER_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
  "cross-origin-resource-policy": "same-origin",
};

const TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;\\s*${TOKEN}=(${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

/** The stored media type when it is a well-formed one, else application/octet-stream. */
export function safeMediaType(type: string | null | undefined, fallback = "application/octet-stream"): string {
  const t = type?.trim();
  return t && t.length <= 200 && MEDIA_TYPE.test(t) ? t : fallback;
}

/** `attachment` with a plain fallback name and the exact one, UTF-8 encoded (RFC 6266). */
export function attachmentDisposition(name: string): string {
  return `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
