// A module hook in each flow process: for every file it loads (outside node_modules) it posts the
// file's path, modification time and size, so the worker reuses the process for another run
// only while none of the code it holds has changed on disk (flow-process.ts). Stat'ed before the
// file is read: an edit in between makes the record older than the code, so the process is
// retired, never kept with stale code.
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

let port;

export function initialize(data) {
  port = data.port;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && !url.includes("/node_modules/")) {
    try {
      const file = fileURLToPath(url);
      const { mtimeMs, size } = statSync(file);
      port.postMessage({ file, mtimeMs, size });
    } catch {
      /* not a file after all: nothing to watch */
    }
  }
  return nextLoad(url, context);
}
