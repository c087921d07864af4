/**
 * The workbench: run task kinds in this tab (WebGPU or WASM, in a Web Worker) and see the
 * results; or lend the tab to a `browser` work pool as a worker. Served with COOP/COEP (see
 * next.config.js) so ONNX Runtime can use threads.
 */
import type { Metadata } from "next";
import { getViewer } from "@/app/_lib/viewer";
import { Workbench } from "./workbench";

export const metadata: Metadata = { title: "Workbench" };

export const dynamic = "force-dynamic";

export default async function WorkbenchPage() {
  // Lending the tab to a pool claims and reports runs: editors and owners only.
  const { canEdit, workspace } = await getViewer();
  return (
    <>
      <header className="page-header">
        <div>
          <h1>Workbench</h1>
          <p>Run task kinds in this tab, on WebGPU when the browser offers it and on WASM otherwise.</p>
        </div>
      </header>
      <Workbench canWork={canEdit} workspace={workspace} />
    </>
  );
}
