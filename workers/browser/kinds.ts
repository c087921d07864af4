/**
 * The task kinds a browser tab runs, by the name a deployment's entrypoint uses (`kind:<name>`).
 * Training stays off this list: it belongs to Node/GPU pools. Imported only inside the task Web
 * Worker (it reads the worker's own origin).
 */
import { encode } from "../kinds/encode";
import { createPdfKind } from "../kinds/pdf";
import { browserPdfJsLoader } from "../kinds/pdf/browser";
import type { TaskKind } from "../kinds/types";
import { browserCluster } from "./cluster";
import { browserInfer } from "./infer";

const pdf = createPdfKind(browserPdfJsLoader(`${self.location.origin}/pdfjs/pdf.worker.min.mjs`));

export const browserKinds: Record<string, TaskKind<never, unknown>> = {
  encode: encode as TaskKind<never, unknown>,
  pdf: pdf as TaskKind<never, unknown>,
  // k-means assignment on WebGPU when there is an adapter, with the CPU path's labels.
  cluster: browserCluster as TaskKind<never, unknown>,
  infer: browserInfer as TaskKind<never, unknown>,
};
