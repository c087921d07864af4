#!/usr/bin/env node
// Baton's command line. The CLI and server are TypeScript, run through tsx's loader (a runtime
// dependency), so there is no build step between editing and running.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Baton's own tsconfig, not whatever the working directory holds.
register({ tsconfig: path.join(root, "tsconfig.json") });
await import("../cli/main.ts");
