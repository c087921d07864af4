/**
 * How large a JSON result may be and still travel inline (in the results table, or with the
 * report that completes its run) rather than through the blob store. The server decides: it
 * refuses a larger inline value (server/domain/results.ts) and hands this figure to every worker
 * at `workers.register` (`inlineResultMaxBytes`), which the tab and the Node worker then use.
 * Code with no registration of its own (the SDK inside a flow process, a flow run from a
 * script) uses this constant, the same source the server's figure comes from. Browser-safe.
 */
export const INLINE_RESULT_MAX_BYTES = 1024 * 1024;

/** The UTF-8 size of `text` in bytes (what the server measures), without encoding it. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point beyond the BMP
      i++;
    } else bytes += 3; // the rest of the BMP, and a lone surrogate (encoded as U+FFFD)
  }
  return bytes;
}

/** Whether this JSON text may go inline under `maxBytes`. */
export function fitsInline(json: string, maxBytes: number = INLINE_RESULT_MAX_BYTES): boolean {
  // Each UTF-16 unit is at most 3 bytes: short texts need no count.
  return json.length * 3 <= maxBytes || (json.length <= maxBytes && utf8ByteLength(json) <= maxBytes);
}
