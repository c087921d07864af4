/** Blob results as a raw byte stream; see server/api/result-upload.ts and server/api/endpoint.ts. */
import { serveResultUpload } from "@/server/api/endpoint";

export const dynamic = "force-dynamic";

export { serveResultUpload as POST };
