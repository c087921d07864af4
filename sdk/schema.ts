/**
 * A flow's parameter JSON schema for its deployment: the zod schema's input side (so fields
 * with defaults are optional), plus the run policy under `x-baton` (retries, backoff, timeout,
 * requirements), which the server applies to every run of the deployment.
 */
import { z } from "zod";
import type { FlowDefinition } from "./flow";

export function parameterSchemaOf(definition: FlowDefinition): Record<string, unknown> {
  const schema: Record<string, unknown> = definition.options.parameters
    ? (z.toJSONSchema(definition.options.parameters, { io: "input", unrepresentable: "any" }) as Record<string, unknown>)
    : { type: "object", properties: {} };
  delete schema.$schema;
  const o = definition.options;
  const policy = Object.fromEntries(
    Object.entries({
      maxRetries: o.retries,
      retryDelaySeconds: o.retryDelaySeconds,
      retryBackoff: o.backoff,
      retryJitter: o.jitter,
      timeoutSeconds: o.timeoutSeconds,
      requirements: o.requires,
    }).filter(([, v]) => v !== undefined),
  );
  if (Object.keys(policy).length) schema["x-baton"] = policy;
  return schema;
}
