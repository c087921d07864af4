/**
 * Bundling a flow for delivery (`baton deploy`): the entrypoint and every local file it imports
 * become one ES module, stored on the server by its content hash as the deployment's code
 * version, so a worker anywhere runs exactly that version without the author's checkout.
 *
 * What stays outside the bundle:
 * - Baton's SDK (imported as `baton/sdk` or by path into this installation's sdk/): the bundle
 *   reads it from the running worker (`globalThis[Symbol.for("baton.sdk")]`,
 *   workers/node/code.ts), so flows and tasks register with the worker's own run context — a
 *   second copy of the SDK inside the bundle would not see the run it is in.
 * - npm packages and Node's built-ins: imported by name where the worker runs. The packages
 *   are listed with the versions the project's package.json asks for, and a worker without one
 *   of them refuses the run naming it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { build, type Plugin } from "esbuild";

export const SDK_GLOBAL = "baton.sdk";
const SDK_DIR = path.resolve(import.meta.dirname, "../sdk");
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** The largest bundle sent: well inside the server's body limit (16 MiB by default). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

export interface FlowBundle {
  /** The module's source, one ES module. */
  source: string;
  /** `sha256:<hex>` of the source: the code version. */
  version: string;
  /** npm packages it imports, with the version range the project's package.json gives (or "*"). */
  dependencies: Record<string, string>;
  /** The local files that went into it, relative to `cwd`. */
  files: string[];
}

export class BundleError extends Error {
  override name = "BundleError";
}

/** The package a bare specifier names: `zod` → zod, `@scope/pkg/sub` → @scope/pkg. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The nearest package.json above `dir`, with its dependency ranges. */
function projectRanges(dir: string): Record<string, string> {
  for (let d = dir; ; d = path.dirname(d)) {
    const file = path.join(d, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string> | undefined>;
      return { ...pkg.devDependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies, ...pkg.dependencies };
    }
    if (path.dirname(d) === d) return {};
  }
}

/** Bundles `file` (and what it imports locally); `cwd` is where relative paths in messages start. */
export async function bundleFlow(file: string, cwd: string): Promise<FlowBundle> {
  const abs = path.resolve(cwd, file);
  const sdkNames = Object.keys(await import(path.join(SDK_DIR, "index.ts")));
  const packages = new Set<string>();
  const delivery: Plugin = {
    name: "baton-delivery",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return undefined;
        const spec = args.path;
        if (spec === "baton/sdk" || spec.startsWith("baton/sdk/")) return { path: "sdk", namespace: "baton-sdk" };
        if (spec.startsWith(".") || path.isAbsolute(spec)) {
          const target = path.resolve(args.resolveDir, spec);
          if (target === SDK_DIR || target.startsWith(SDK_DIR + path.sep)) return { path: "sdk", namespace: "baton-sdk" };
          return undefined; // a local file: bundled
        }
        if (BUILTINS.has(spec)) return { path: spec, external: true };
        packages.add(packageOf(spec));
        return { path: spec, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: "baton-sdk" }, () => ({
        loader: "js",
        contents: [
          `const sdk = globalThis[Symbol.for(${JSON.stringify(SDK_GLOBAL)})];`,
          `if (!sdk) throw new Error("this flow was bundled by baton deploy: run it on a Baton worker");`,
          ...sdkNames.map((n) => `export const ${n} = sdk.${n};`),
        ].join("\n"),
      }));
    },
  };
  let result;
  try {
    result = await build({
      entryPoints: [abs],
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "node20",
      metafile: true,
      logLevel: "silent",
      sourcemap: "inline",
      sourcesContent: false,
      plugins: [delivery],
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const first = errors[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    throw new BundleError(`could not bundle ${file}: ${first ? `${first.text}${where}` : String(err)}`);
  }
  const source = result.outputFiles[0]!.text;
  if (Buffer.byteLength(source) > MAX_BUNDLE_BYTES) {
    throw new BundleError(`the bundle of ${file} is ${Buffer.byteLength(source)} bytes, over ${MAX_BUNDLE_BYTES}: keep large data out of the flow's code`);
  }
  const ranges = projectRanges(path.dirname(abs));
  const dependencies = Object.fromEntries([...packages].sort().map((p) => [p, ranges[p] ?? "*"]));
  const files = Object.keys(result.metafile!.inputs)
    .filter((f) => !f.startsWith("baton-sdk:"))
    .map((f) => path.relative(cwd, path.resolve(f)))
    .sort();
  return { source, version: `sha256:${createHash("sha256").update(source).digest("hex")}`, dependencies, files };
}
