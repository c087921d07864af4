/** A task run's result, as a download (see ../../../result-download.ts). */
import { resultDownload } from "../../../result-download";

export const dynamic = "force-dynamic";

export async function GET(_request: Request, { params }: { params: Promise<{ id: string; taskRunId: string }> }): Promise<Response> {
  const { id, taskRunId } = await params;
  return resultDownload(id, taskRunId);
}
