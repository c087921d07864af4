/**
 * A deployment's run policy: retries, their delay, backoff and jitter, a timeout, and what a
 * worker must offer. It is a validated field of the deployment (its own column) and is copied
 * onto every run the deployment makes, where the same names are columns of the flow run.
 *
 * It used to travel in the parameter schema under the extension keyword `x-baton`, where a
 * malformed value silently became the defaults. Older clients (and old `baton deploy`) still
 * send it there: create and update move it into `policy`, refusing a bad value with the field
 * named (`parameterSchema.x-baton.maxRetries`), and migration 0011 moved the stored ones.
 */
import { z } from "zod";
import { AppError } from "../errors";
import type { RunPolicy } from "./flow-runs";

export const RUN_POLICY_KEYWORD = "x-baton";

/** The bounds every run policy meets, a deployment's or a flow run's. */
export const zRunPolicy = z.strictObject(
  {
    maxRetries: z.number().int("must be a whole number").min(0, "must be 0 or more").max(100, "must be 100 or less").optional(),
    retryDelaySeconds: z.number().min(0, "must be 0 or more").max(86_400, "must be a day (86400) or less").optional(),
    retryBackoff: z.number().min(1, "must be 1 (constant) or more").max(10, "must be 10 or less").optional(),
    retryJitter: z.number().min(0, "must be a fraction between 0 and 1").max(1, "must be a fraction between 0 and 1").optional(),
    timeoutSeconds: z.number().positive("must be above 0").max(30 * 86_400, "must be 30 days or less").optional(),
    requirements: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown run policy field ${issue.keys.map((k) => `"${k}"`).join(", ")} (known: maxRetries, retryDelaySeconds, retryBackoff, retryJitter, timeoutSeconds, requirements)`
        : "must be a JSON object",
  },
);

export type DeploymentRunPolicy = z.infer<typeof zRunPolicy>;

/** Checks a policy, throwing BAD_REQUEST that names the first bad field under `at` (e.g. `policy.maxRetries`). */
export function checkRunPolicy(value: unknown, at: string): DeploymentRunPolicy {
  const parsed = zRunPolicy.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = issue.code === "unrecognized_keys" ? [issue.keys[0]!] : issue.path.map(String);
  const field = [at, ...keys].join(".");
  throw AppError.badRequest(`${field}: ${issue.message}`, field);
}

/**
 * Splits a parameter schema sent by a client into the schema proper and the policy it carried
 * under `x-baton` (checked, never defaulted), so the deployment stores each in its own place.
 */
export function policyFromParameterSchema(parameterSchema: Record<string, unknown> | null | undefined): {
  parameterSchema: Record<string, unknown> | null | undefined;
  policy: DeploymentRunPolicy | undefined;
} {
  if (!parameterSchema || !(RUN_POLICY_KEYWORD in parameterSchema)) return { parameterSchema, policy: undefined };
  const { [RUN_POLICY_KEYWORD]: carried, ...rest } = parameterSchema;
  return { parameterSchema: rest, policy: checkRunPolicy(carried, `parameterSchema.${RUN_POLICY_KEYWORD}`) };
}

/** The policy a deployment's runs get: what it stores, with a flow run's names. */
export function deploymentRunPolicy(policy: DeploymentRunPolicy | null | undefined): RunPolicy {
  return { ...policy };
}
