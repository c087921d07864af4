/**
 * Finding the code a run names. `path/to/file.ts:export` is a Baton flow in the worker's
 * checkout (imported through tsx, which the `baton` binary registers), `kind:<name>` a built-in
 * task kind from workers/kinds/<name>.ts. Modules are cached by Node for the life of the process:
 * the worker loads flows only in flow processes (flow-process.ts), one run each, so each run
 * loads the file as it is then.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isFlow, type FlowDefinition } from "../../sdk/flow";
import { FLOW } from "../../sdk/flow";
import type { TaskKind } from "../kinds/types";

const KINDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../kinds");

export class EntrypointError extends Error {
  override name = "EntrypointError";
}

export function parseEntrypoint(entrypoint: string): { file: string; exportName: string } {
  const at = entrypoint.lastIndexOf(":");
  if (at <= 0 || at === entrypoint.length - 1) {
    throw new EntrypointError(`entrypoint "${entrypoint}" must be path/to/file.ts:exportName or kind:<name>`);
  }
  return { file: entrypoint.slice(0, at), exportName: entrypoint.slice(at + 1) };
}

export async function loadFlow(entrypoint: string, checkout: string): Promise<FlowDefinition> {
  const { file, exportName } = parseEntrypoint(entrypoint);
  // Inside the code root only: a deployment must not point the worker at any file on its disk.
  const root = path.resolve(checkout);
  const abs = path.resolve(root, file);
  if (path.isAbsolute(file) || (abs !== root && !abs.startsWith(root + path.sep))) {
    throw new EntrypointError(`entrypoint file ${file} is outside the worker's code root (${root}); only paths inside it may run`);
  }
  if (!existsSync(abs)) throw new EntrypointError(`entrypoint file ${file} was not found in the worker's checkout (${checkout})`);
  const mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  const value = mod[exportName];
  if (value === undefined) throw new EntrypointError(`${file} has no export named ${exportName} (it exports: ${Object.keys(mod).join(", ") || "nothing"})`);
  if (!isFlow(value)) throw new EntrypointError(`${file}:${exportName} is not a Baton flow (wrap it with flow() from sdk/)`);
  return value[FLOW];
}

/**
 * `kind:pdf` → the function exported (default, `pdf`, its camelCase, or `run`) by
 * workers/kinds/node/pdf.ts when there is one — the Node binding of a kind whose shared code
 * takes its runtime (pdf.js legacy build, onnxruntime-node) as an argument — else by
 * workers/kinds/pdf.ts.
 */
export async function loadKind(name: string): Promise<TaskKind<unknown, unknown>> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new EntrypointError(`task kind "${name}" is not a valid kind name`);
  const file = [path.join(KINDS_DIR, "node", `${name}.ts`), path.join(KINDS_DIR, `${name}.ts`)].find((f) => existsSync(f));
  if (!file) throw new EntrypointError(`no task kind "${name}" (workers/kinds/${name}.ts does not exist)`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const fn = [mod.default, mod[name], mod[camel], mod.run].find((v) => typeof v === "function");
  if (!fn) throw new EntrypointError(`${path.relative(path.dirname(KINDS_DIR), file)} exports no task kind function (default, ${camel} or run)`);
  return fn as TaskKind<unknown, unknown>;
}
