/**
 * What `baton deploy` sends for a flow: its parameter JSON schema (the zod schema's input side,
 * so fields with defaults are optional) and, apart, its run policy (retries, backoff, jitter,
 * timeout, requirements), which the server stores as the deployment's `policy` and applies to
 * every run of it. (Older releases sent the policy inside the schema, under `x-baton`.)
 */
import { RE2JS } from "re2js";
import { z } from "zod";
import type { FlowDefinition } from "./flow";

/**
 * The server checks `pattern` on RE2 (linear time, so no caller's regex can stall it), which has
 * no lookaround or backreferences. Some of zod's own formats (iso.duration, hostname, emoji)
 * generate such patterns: where a `format` says what the pattern was for, the pattern is left out
 * of the deployment's schema (the flow's zod schema still checks the value when the run starts).
 * A hand-written pattern RE2 cannot run stays, and the server says which field to fix.
 */
function dropPatternsRe2CannotRun(node: unknown): void {
  const stack = [node];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (value && typeof value === "object") {
      const obj = value as Record<string, unknown>;
      if (typeof obj.pattern === "string" && typeof obj.format === "string" && !runsOnRe2(obj.pattern)) delete obj.pattern;
      stack.push(...Object.values(obj));
    }
  }
}

function runsOnRe2(pattern: string): boolean {
  try {
    RE2JS.compile(RE2JS.translateRegExp(pattern));
    return true;
  } catch {
    return false;
  }
}

export function parameterSchemaOf(definition: FlowDefinition): Record<string, unknown> {
  const schema: Record<string, unknown> = definition.options.parameters
    ? (z.toJSONSchema(definition.options.parameters, { io: "input", unrepresentable: "any" }) as Record<string, unknown>)
    : { type: "object", properties: {} };
  delete schema.$schema;
  dropPatternsRe2CannotRun(schema);
  return schema;
}

/** The flow's run policy in the deployment's terms; the fields its options leave out are left out. */
export function runPolicyOf(definition: FlowDefinition): {
  maxRetries?: number;
  retryDelaySeconds?: number;
  retryBackoff?: number;
  retryJitter?: number;
  timeoutSeconds?: number;
  requirements?: Record<string, unknown>;
} {
  const o = definition.options;
  return Object.fromEntries(
    Object.entries({
      maxRetries: o.retries,
      retryDelaySeconds: o.retryDelaySeconds,
      retryBackoff: o.backoff,
      retryJitter: o.jitter,
      timeoutSeconds: o.timeoutSeconds,
      requirements: o.requires,
    }).filter(([, v]) => v !== undefined),
  );
}
