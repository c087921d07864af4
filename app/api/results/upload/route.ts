/** Blob results as a raw byte stream; see server/api/result-upload.ts. */
import { handleResultUpload } from "@/server/api/result-upload";
import { getAuthSettings, getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  return handleResultUpload(req, (await getRuntime()).database.db, await getAuthSettings());
}
