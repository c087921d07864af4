/**
 * A deployed flow's run policy (retries, backoff, timeout, what a worker must offer) travels in
 * its parameter schema under the extension keyword `x-baton`, which `baton deploy` writes from
 * the flow's options. JSON schema validators ignore unknown keywords, and it spares the
 * deployments table a column for what is, in the end, part of the flow's declared interface.
 */
import { z } from "zod";
import type { RunPolicy } from "./flow-runs";

export const RUN_POLICY_KEYWORD = "x-baton";

const zPolicy = z.object({
  maxRetries: z.number().int().min(0).max(100).optional(),
  retryDelaySeconds: z.number().min(0).max(86_400).optional(),
  retryBackoff: z.number().min(1).max(10).optional(),
  retryJitter: z.number().min(0).max(1).optional(),
  timeoutSeconds: z.number().positive().optional(),
  requirements: z.record(z.string(), z.unknown()).optional(),
});

/** The policy a deployment's runs get; empty (the defaults) when its schema declares none or a malformed one. */
export function deploymentRunPolicy(parameterSchema: Record<string, unknown> | null | undefined): RunPolicy {
  const parsed = zPolicy.safeParse(parameterSchema?.[RUN_POLICY_KEYWORD] ?? {});
  return parsed.success ? parsed.data : {};
}
