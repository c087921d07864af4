/**
 * The first check every procedure input gets, before zod sees it: text a database cannot store
 * (NUL, unpaired UTF-16 surrogates), JSON nested deeper than anyone means, and strings longer
 * than any field needs are refused as BAD_REQUEST naming the field, instead of failing deep
 * inside PostgreSQL (22021, 22P05) or overflowing the stack (RangeError) as a 500.
 *
 * Two pieces:
 *   - `checkRawInput`: an iterative walk of a parsed input (no recursion, so a 100,000-deep
 *     value cannot overflow the stack); the tRPC middleware runs it on `getRawInput()`.
 *   - `JsonDepthScanner`: counts bracket depth in a JSON body as its bytes arrive, so the HTTP
 *     layer refuses `[[[[…` before `JSON.parse` spends seconds on it.
 */

/** The deepest nesting of objects and arrays an input may have (`{"a":{"b":1}}` is 2 deep). */
export const MAX_JSON_DEPTH = 64;

/**
 * The longest string anywhere in an input, in UTF-16 code units. 1 MiB: more than any field
 * needs (log lines are at most 100,000 characters, inline results at most 1 MiB of JSON in all).
 */
export const MAX_STRING_LENGTH = 1024 * 1024;

/** The longest object key (parameter names, environment variable names, capability names). */
export const MAX_KEY_LENGTH = 1024;

/**
 * Top-level fields that carry bulk data and may hold longer strings: `base64` (results.create,
 * up to 256 MiB of bytes) and `data` (artifacts.create; a fitted lexical model keeps its
 * projection as one base64 string of ten megabytes or more). The request body limit
 * (BATON_MAX_BODY_BYTES) bounds them; NUL, surrogate and depth checks still apply.
 */
export const BULK_FIELDS: ReadonlySet<string> = new Set(["base64", "data"]);
export const MAX_BULK_STRING_LENGTH = 400 * 1024 * 1024;

/** Path segments shown of a value nested too deep: enough to find it, not 64 of them. */
const MAX_REPORTED_SEGMENTS = 8;

export interface InputProblem {
  /** The dotted path of the field at fault, e.g. `parameters.a.b.0`; `input` for the whole input. */
  field: string;
  /** A sentence for the caller, starting with the field: `name: must not contain a NUL character`. */
  message: string;
}

interface Frame {
  value: unknown;
  parent: Frame | undefined;
  key: string | number | undefined;
  /** Containers from the root to this value, this one included when it is a container. */
  depth: number;
  /** Under a bulk field: the longer string cap applies. */
  bulk: boolean;
}

function pathOf(frame: Frame | undefined, extra?: string | number): (string | number)[] {
  const segments: (string | number)[] = [];
  if (extra !== undefined) segments.push(extra);
  for (let f = frame; f && f.key !== undefined; f = f.parent) segments.push(f.key);
  return segments.reverse();
}

function fieldOf(segments: (string | number)[]): string {
  return segments.length ? segments.join(".") : "input";
}

const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function";

/** True when the string has an unpaired surrogate (not valid Unicode; PostgreSQL cannot store it). */
export function hasLoneSurrogate(s: string): boolean {
  if (hasIsWellFormed) return !(s as string & { isWellFormed(): boolean }).isWellFormed();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** What is wrong with one string, as the end of a sentence, or null. */
function textProblem(s: string, max: number): string | null {
  if (s.length > max) return `must be at most ${max} characters (got ${s.length})`;
  if (s.includes("\u0000")) return "must not contain a NUL character";
  if (hasLoneSurrogate(s)) return "must be valid Unicode text (it has an unpaired UTF-16 surrogate)";
  return null;
}

/** A key as it can be shown in a message: cut short, NUL and surrogates replaced. */
function showKey(key: string): string {
  const cut = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return JSON.stringify(cut.replace(/[\u0000\ud800-\udfff]/g, "?"));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Walks a procedure's raw input (as parsed from JSON, or as an in-process caller passed it) and
 * returns the first problem, or null. Only plain objects, arrays and strings are looked into;
 * other values (numbers, Dates, byte arrays) are zod's business.
 */
export function checkRawInput(raw: unknown): InputProblem | null {
  const stack: Frame[] = [{ value: raw, parent: undefined, key: undefined, depth: 0, bulk: false }];
  while (stack.length) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (typeof value === "string") {
      const problem = textProblem(value, frame.bulk ? MAX_BULK_STRING_LENGTH : MAX_STRING_LENGTH);
      if (problem) {
        const field = fieldOf(pathOf(frame));
        return { field, message: `${field}: ${problem}` };
      }
      continue;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) continue;
    const depth = frame.depth + 1;
    if (depth > MAX_JSON_DEPTH) {
      const segments = pathOf(frame);
      const shown = segments.slice(0, MAX_REPORTED_SEGMENTS);
      const field = fieldOf(shown);
      const more = segments.length > shown.length ? ".…" : "";
      return { field, message: `${field}${more}: must not be nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const atRoot = frame.parent === undefined && frame.key === undefined;
    if (isArray) {
      const items = value as unknown[];
      // Pushed in reverse so the first problem reported is the first in document order.
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i];
        if (item !== null && (typeof item === "object" || typeof item === "string")) {
          stack.push({ value: item, parent: frame, key: i, depth, bulk: frame.bulk });
        }
      }
      continue;
    }
    const keys = Object.keys(value as object);
    for (const key of keys) {
      const problem = textProblem(key, MAX_KEY_LENGTH);
      if (problem) {
        const field = fieldOf(pathOf(frame));
        return { field, message: `${field}: key ${showKey(key)} ${problem}` };
      }
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && (typeof item === "object" || typeof item === "string")) {
        stack.push({ value: item, parent: frame, key, depth, bulk: frame.bulk || (atRoot && BULK_FIELDS.has(key)) });
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Streaming depth check of a JSON body
// ---------------------------------------------------------------------------------------------

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Bytes of an object key kept for the error's field; longer keys are cut. */
const MAX_KEY_BYTES = 100;

interface ScanFrame {
  object: boolean;
  /** The key or index being read in this container (the path segment of its current value). */
  segment: string | number | undefined;
}

/**
 * Reads a JSON text a chunk at a time and reports the first point where it nests deeper than
 * `maxDepth`, naming the path to it (object keys and array indexes). It is not a validator:
 * malformed JSON that stays shallow passes, for `JSON.parse` to refuse. Linear, and it keeps at
 * most `maxDepth` frames, so a body of 50 MB of `[` is refused after its 65th byte.
 *
 * `skipSegments` drops leading path segments from the report: 1 for a tRPC batch body, whose
 * top level is `{"0": <input>, "1": <input>}`.
 */
export class JsonDepthScanner {
  private readonly frames: ScanFrame[] = [];
  private inString = false;
  private escaped = false;
  private stringIsKey = false;
  private expectKey = false;
  private keyBytes: number[] = [];

  constructor(
    private readonly maxDepth: number = MAX_JSON_DEPTH,
    private readonly skipSegments = 0,
  ) {}

  /** Feeds the next bytes; returns the problem when they pass the depth limit (then stop feeding). */
  push(chunk: Uint8Array): InputProblem | null {
    const frames = this.frames;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.stringIsKey) {
            const top = frames[frames.length - 1];
            if (top) top.segment = Buffer.from(this.keyBytes).toString("utf8");
            this.expectKey = false;
          }
          continue;
        }
        if (this.stringIsKey && this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(b);
        continue;
      }
      switch (b) {
        case QUOTE: {
          this.inString = true;
          const top = frames[frames.length - 1];
          this.stringIsKey = !!top?.object && this.expectKey;
          if (this.stringIsKey) this.keyBytes = [];
          break;
        }
        case OPEN_BRACE:
        case OPEN_BRACKET: {
          if (frames.length >= this.maxDepth) return this.problem();
          const object = b === OPEN_BRACE;
          frames.push({ object, segment: object ? undefined : 0 });
          this.expectKey = object;
          break;
        }
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          frames.pop();
          this.expectKey = false;
          break;
        case COMMA: {
          const top = frames[frames.length - 1];
          if (top && !top.object) top.segment = (top.segment as number) + 1;
          else if (top) this.expectKey = true;
          break;
        }
        case COLON:
          this.expectKey = false;
          break;
      }
    }
    return null;
  }

  private problem(): InputProblem {
    const segments = this.frames.map((f) => f.segment ?? "?").slice(this.skipSegments);
    const shown = segments.slice(0, MAX_REPORTED_SEGMENTS);
    const field = fieldOf(shown);
    const more = segments.length > shown.length ? ".…" : "";
    return { field, message: `${field}${more}: must not be nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
}
