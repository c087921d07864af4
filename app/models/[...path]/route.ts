/**
 * GET /models/<model>/<file>: the models directory, for Transformers.js in browser tabs
 * (`env.localModelPath = "/models/"`) and for ONNX Runtime Web sessions. The folder is
 * BATON_MODELS_DIR (next.config.js defaults it to the project's models/), so an offline install
 * points it at its own models without rebuilding. Same origin, so the COEP workbench may load it.
 */
import fs from "node:fs";
import path from "node:path";
import { USER_CONTENT_HEADERS } from "@/server/user-content";
import { resolveIdentity } from "@/server/auth/identity";
import { getAuthSettings, getRuntime } from "@/server/runtime";

/** With auth on, models are for signed-in members and keys only (a tab sends its session cookie). */
async function signedIn(req: Request): Promise<boolean> {
  const settings = await getAuthSettings();
  if (!settings.enabled) return true;
  const identity = await resolveIdentity({ db: (await getRuntime()).database.db, headers: req.headers, settings }).catch(() => undefined);
  return identity !== undefined && identity.kind !== "anonymous";
}

export const dynamic = "force-dynamic";

const TYPES: Record<string, string> = {
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".onnx": "application/octet-stream",
  ".onnx_data": "application/octet-stream",
};

function resolveFile(parts: string[]): string | undefined {
  // turbopackIgnore: the folder is chosen at run time; nothing here is part of the build.
  const dir = path.resolve(/*turbopackIgnore: true*/ process.env.BATON_MODELS_DIR ?? "models");
  const file = path.resolve(/*turbopackIgnore: true*/ dir, ...parts);
  // No escaping the folder with "..": only files under it are served.
  if (!file.startsWith(dir + path.sep)) return undefined;
  try {
    return fs.statSync(/*turbopackIgnore: true*/ file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

async function serve(params: Promise<{ path: string[] }>, withBody: boolean): Promise<Response> {
  const file = resolveFile((await params).path);
  if (!file) return new Response("Not found", { status: 404 });
  const headers = {
    // Fetched by the workbench, not opened as pages: never sniffed, and inert if opened.
    ...USER_CONTENT_HEADERS,
    "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "Content-Length": String(fs.statSync(/*turbopackIgnore: true*/ file).size),
    "Cache-Control": "no-cache",
  };
  if (!withBody) return new Response(null, { headers });
  return new Response(new Uint8Array(await fs.promises.readFile(/*turbopackIgnore: true*/ file)), { headers });
}

export async function GET(req: Request, { params }: { params: Promise<{ path: string[] }> }) {
  if (!(await signedIn(req))) return new Response("Sign in to fetch models", { status: 401 });
  return serve(params, true);
}

export async function HEAD(req: Request, { params }: { params: Promise<{ path: string[] }> }) {
  if (!(await signedIn(req))) return new Response(null, { status: 401 });
  return serve(params, false);
}
