/**
 * Node's http request/response through a fetch-style handler (`(Request) => Promise<Response>`):
 * the body streamed in, the answer streamed out (long polls included), and the request aborted
 * when the caller hangs up. Used by the server's own listener for the API, and by the tests'
 * HTTP server, so both treat a request the same way.
 */
import type http from "node:http";
import { Readable } from "node:stream";

/** Request bodies up to this size with a declared length are read whole (1 MiB). */
const WHOLE_BODY_BYTES = 1 << 20;

async function readWhole(req: http.IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export async function serveNodeRequest(endpoint: (req: Request) => Promise<Response>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const aborted = new AbortController();
  // The caller hung up: a long-polling claim stops waiting (and takes nothing).
  res.on("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  // A small body of declared length (every tRPC call) is read whole: a web stream over the
  // socket costs more than the call's own work. Others (uploads, no length) stream as before.
  const declared = Number(req.headers["content-length"]);
  const small = hasBody && req.headers["content-length"] !== undefined && declared <= WHOLE_BODY_BYTES;
  let body: Uint8Array | ReadableStream<Uint8Array> | undefined;
  try {
    body = small ? await readWhole(req) : hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined;
  } catch {
    // The caller hung up while sending: nobody is left to answer.
    return void res.destroy();
  }
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body,
    signal: aborted.signal,
    // Node's fetch needs this for a streamed request body.
    ...(hasBody && !small ? { duplex: "half" } : {}),
  } as RequestInit);
  const response = await endpoint(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  if (response.body && /^application\/json\b/i.test(response.headers.get("content-type") ?? "")) {
    // A JSON answer (every tRPC call; none is streamed: no stream link is used) goes out in one
    // write, headers and body together, instead of a write per chunk and one for the end.
    const bytes = Buffer.from(await response.arrayBuffer());
    out["content-length"] = String(bytes.length);
    res.writeHead(response.status, out);
    return void res.end(bytes);
  }
  res.writeHead(response.status, out);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (res.destroyed) break;
    if (!res.write(value)) await new Promise<void>((resolve) => (res.once("drain", resolve), res.once("close", resolve)));
  }
  res.end();
}

