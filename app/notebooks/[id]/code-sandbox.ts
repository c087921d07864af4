/**
 * Runs a notebook code cell in this tab without giving it this tab's powers. The code is another
 * member's, so it runs in a Web Worker made inside an iframe with `sandbox="allow-scripts"` and
 * no `allow-same-origin`: an opaque origin, so no cookies, no localStorage or IndexedDB of
 * Baton's origin, no reach into this page's DOM (`parent.document` throws), and no request that
 * carries the member's session. The iframe's Content-Security-Policy (`default-src 'none'`,
 * scripts only inline and from blob:, so `connect-src` is none too) refuses every fetch,
 * WebSocket or import, to Baton or anywhere else; the worker inherits that policy. Neither can
 * navigate the top page or open windows (no allow-top-navigation, no allow-popups).
 *
 * The page talks to it through one MessageChannel: the cell's inputs in, its logs and output
 * (or error) out. A run past its time limit, or stopped, removes the iframe, which ends the
 * worker with it.
 */
import { CODE_FUNCTION, transpileCodeCell } from "@/common/code-cell";

export interface SandboxRun {
  source: string;
  inputs: Record<string, unknown>;
  timeoutMs: number;
  signal: AbortSignal;
  onLog(level: "info" | "warn" | "error", message: string): void;
}

/** The worker: the cell's function, console lines sent out as logs, its output posted back. */
function workerScript(transpiled: string): string {
  return `${transpiled}
const __send = (m) => __port.postMessage(m);
let __port;
const __fmt = (args) => args.map((a) => { try { return typeof a === "string" ? a : JSON.stringify(a); } catch { return String(a); } }).join(" ");
for (const [name, level] of [["log", "info"], ["info", "info"], ["debug", "info"], ["warn", "warn"], ["error", "error"]]) {
  console[name] = (...args) => __send({ type: "log", level, message: __fmt(args) });
}
self.onmessage = async (e) => {
  __port = e.ports[0];
  self.onmessage = null;
  let value;
  try {
    value = await ${CODE_FUNCTION}(e.data.inputs);
  } catch (err) {
    __send({ type: "error", message: err && err.stack ? String(err.stack) : String(err) });
    return;
  }
  try {
    __send({ type: "done", value: value === undefined ? null : value });
  } catch (err) {
    __send({ type: "error", message: "the cell's output cannot be stored (return plain data: objects, arrays, strings, numbers): " + String(err && err.message || err) });
  }
};`;
}

/** The iframe's document: its CSP first, then a loader that starts the worker and hands it the channel. */
function sandboxDocument(script: string): string {
  const csp = "default-src 'none'; script-src 'unsafe-inline' blob:; worker-src blob:";
  // JSON inside a <script>: `<` escaped, so no "</script>" in the code can end the element.
  const payload = JSON.stringify(script).replace(/</g, "\\u003c");
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${csp}"></head><body><script>
addEventListener("message", (e) => {
  if (e.source !== parent || !e.ports[0]) return;
  const port = e.ports[0];
  let worker;
  try {
    worker = new Worker(URL.createObjectURL(new Blob([${payload}], { type: "text/javascript" })));
  } catch (err) {
    port.postMessage({ type: "error", message: "the sandbox could not start a worker: " + String(err && err.message || err) });
    return;
  }
  worker.onerror = (ev) => { ev.preventDefault(); port.postMessage({ type: "error", message: ev.message || "the code failed to load" }); };
  worker.postMessage({ inputs: e.data.inputs }, [port]);
}, { once: true });
</script></body></html>`;
}

/** Runs the code cell's source over its inputs in a fresh sandbox; resolves with its output. */
export function runCodeInSandbox(run: SandboxRun): Promise<unknown> {
  const transpiled = transpileCodeCell(run.source);
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts");
    frame.setAttribute("aria-hidden", "true");
    frame.dataset.testid = "code-sandbox";
    frame.style.display = "none";
    frame.srcdoc = sandboxDocument(workerScript(transpiled));
    const channel = new MessageChannel();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (err: Error | null, value?: unknown) => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      channel.port1.close();
      frame.remove();
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = () => finish(new Error("stopped"));
    run.signal.addEventListener("abort", onAbort, { once: true });
    channel.port1.onmessage = (e: MessageEvent<{ type: string; level?: "info" | "warn" | "error"; message?: string; value?: unknown }>) => {
      const m = e.data;
      if (m.type === "log") run.onLog(m.level ?? "info", String(m.message ?? ""));
      else if (m.type === "done") finish(null, m.value);
      else if (m.type === "error") finish(new Error(String(m.message ?? "the code failed")));
    };
    frame.addEventListener(
      "load",
      () => {
        // An opaque origin can only be addressed as "*"; the channel's far end goes to this frame alone.
        frame.contentWindow?.postMessage({ inputs: run.inputs }, "*", [channel.port2]);
        timer = setTimeout(() => finish(new Error(`the code ran past its time limit of ${Math.round(run.timeoutMs / 1000)} s and was stopped`)), run.timeoutMs);
      },
      { once: true },
    );
    if (run.signal.aborted) return onAbort();
    document.body.appendChild(frame);
  });
}
