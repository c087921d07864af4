// Boots a flow process (flow-child.ts) the way bin/baton.mjs boots the CLI: tsx's loader with
// Baton's own tsconfig. zod, re2js and the tRPC client (the packages the SDK loads) are imported
// first, natively: outside tsx's
// loader they load in about a third of the time (zod ~50 ms instead of ~130 ms here), and the
// TypeScript that imports them later gets these same module instances.
import "zod";
import "re2js";
import "@trpc/client";
import { register as registerHooks } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
register({ tsconfig: path.join(root, "tsconfig.json") });
// After tsx, so it runs first and sees every file tsx is asked for. Each one loaded is told to the
// worker, which reuses this process only while they are unchanged.
const { port1, port2 } = new MessageChannel();
registerHooks("./flow-loaded-hook.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });
port1.on("message", (file) => process.connected && process.send({ type: "loaded", ...file }));
port1.unref();
await import("./flow-child.ts");
