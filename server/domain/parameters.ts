/**
 * Deployment parameters and their JSON schema. Schemas are compiled with one Ajv instance and
 * cached by content, because the same few schemas are checked on every run of a deployment.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { AppError } from "../errors";

// strict: false because schemas generated from code (Prefect's among them) carry extra keywords
// such as `position`; the meta-schema still rejects a schema that is malformed.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 500;

function compile(schema: Record<string, unknown>): ValidateFunction {
  // A top-level $id would make a second, different schema with the same id fail to compile.
  const { $id: _ignored, ...rest } = schema;
  const key = JSON.stringify(rest);
  let validate = compiled.get(key);
  if (!validate) {
    if (compiled.size >= MAX_CACHED) {
      compiled.clear();
      ajv.removeSchema();
    }
    validate = ajv.compile(rest);
    compiled.set(key, validate);
  }
  return validate;
}

/** Throws BAD_REQUEST on `parameterSchema` when the schema itself is not a valid JSON schema. */
export function checkParameterSchema(schema: Record<string, unknown>): void {
  try {
    compile(schema);
  } catch (err) {
    throw AppError.badRequest(`parameterSchema: is not a valid JSON schema (${(err as Error).message})`, "parameterSchema");
  }
}

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === "required" && params.missingProperty) segments.push(params.missingProperty);
  if (error.keyword === "additionalProperties" && params.additionalProperty) segments.push(params.additionalProperty);
  return ["parameters", ...segments].join(".");
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === "required") return "is required";
  if (error.keyword === "additionalProperties") return "is not an allowed parameter";
  return error.message ?? "is not valid";
}

/**
 * Checks parameters against a deployment's schema. Throws BAD_REQUEST naming every field at
 * fault (`parameters.count: must be integer`); the error's field is the first of them.
 * `partial` skips `required`: a deployment's defaults need not supply what each run supplies.
 */
export function checkParameters(opts: {
  schema: Record<string, unknown>;
  parameters: Record<string, unknown>;
  partial?: boolean;
}): void {
  const validate = compile(opts.schema);
  if (validate(opts.parameters)) return;
  const errors = (validate.errors ?? []).filter((e) => !(opts.partial && e.keyword === "required"));
  if (errors.length === 0) return;
  const first = fieldOf(errors[0]!);
  const message = errors.map((e) => `${fieldOf(e)}: ${messageOf(e)}`).join("; ");
  throw AppError.badRequest(message, first);
}
