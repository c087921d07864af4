/**
 * A notebook's TypeScript code cell: a function body, written by a member, that reads its
 * upstream cells' outputs as `inputs.<name>` and returns its output (any JSON value). It is code
 * one member wrote running on another member's device or a worker's machine, so it never runs
 * where it could act as someone: in a tab, inside an opaque-origin sandboxed iframe's Web Worker
 * (app/notebooks/[id]/code-sandbox.ts); on a Node worker, in a child process with Node's
 * permission model and an empty environment (workers/node/code-cell.ts). Both transpile it here,
 * with sucrase (type annotations stripped, nothing type-checked), as the server does on a save so
 * a syntax error is named before anyone runs it.
 */
import { transform } from "sucrase";
import { z } from "zod";

export const CODE_STEP = "code";

/** The most source a code cell may hold. */
export const CODE_MAX_CHARS = 100_000;

export const zCodeParameters = z.strictObject({
  source: z.string({ error: "must be the cell's TypeScript source" }).min(1, "is empty: write the function body that returns this cell's output").max(CODE_MAX_CHARS, `must be at most ${CODE_MAX_CHARS} characters`),
  /** How long one run may take before it is stopped. */
  timeoutSeconds: z.number().int("must be a whole number").min(1, "must be 1 or more").max(3600, "must be at most 3600").optional(),
});

export type CodeParameters = z.output<typeof zCodeParameters>;

/** Default time limit of one code cell run, in seconds. */
export const CODE_DEFAULT_TIMEOUT_S = 60;

/** An input's name: how the code reads it (`inputs.chunks`). */
export const zCodeInputName = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,39}$/, "must be a JavaScript identifier of at most 40 characters (letters, digits, _ and $)");

/** The name the transpiled function has; its body is the cell's source. */
export const CODE_FUNCTION = "__batonCell";

/**
 * The cell's source as a JavaScript declaration of `async function __batonCell(inputs)`. The
 * wrapper's first line is apart from the source, so an error's line is the source's line + 1;
 * the message says the source's.
 */
export function transpileCodeCell(source: string): string {
  try {
    return transform(`async function ${CODE_FUNCTION}(inputs: Record<string, any>) {\n${source}\n}\n`, { transforms: ["typescript"], disableESTransforms: true }).code;
  } catch (err) {
    const message = (err as Error).message.replace(/\((\d+):(\d+)\)/, (_m, line: string, col: string) => `(line ${Math.max(1, Number(line) - 1)}, column ${col})`);
    throw new Error(`the code does not parse as TypeScript: ${message}`);
  }
}

/** Problems with a code cell's parameters, as `parameters.<field>: message`. */
export function codeParameterProblems(parameters: Record<string, unknown>): { path: string; message: string }[] {
  const parsed = zCodeParameters.safeParse(parameters);
  if (!parsed.success) {
    return parsed.error.issues.flatMap((i) => {
      const keys = i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k].join(".")) : [i.path.join(".")];
      return keys.map((k) => ({ path: `parameters.${k}`, message: i.code === "unrecognized_keys" ? "is not a parameter of a code cell (it has source and timeoutSeconds)" : i.code === "invalid_type" && i.input === undefined ? "is required" : i.message }));
    });
  }
  try {
    transpileCodeCell(parsed.data.source);
    return [];
  } catch (err) {
    return [{ path: "parameters.source", message: (err as Error).message }];
  }
}
