"use client";
/**
 * A form generated from a deployment's parameter schema (JSON schema) by react-jsonschema-form,
 * checked in the browser by Ajv before anything is sent. Messages come from the schema: a
 * field's `errorMessage` (a string, or one per keyword, as ajv-errors writes it) when it has
 * one, else Ajv's own ("must be >= 1"), named by the field's title. The server checks the same
 * schema again on run, and its message is shown if it still refuses.
 *
 * Buttons are real, labelled buttons ("Add item", "Remove item"): rjsf's defaults are icon-only.
 */
import Form from "@rjsf/core";
import type { IconButtonProps, RJSFSchema, RJSFValidationError, SubmitButtonProps } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { useState, type ReactNode } from "react";
import "./management.css";

type Params = Record<string, unknown>;

function TextButton({ text, props, danger = false }: { text: string; props: IconButtonProps; danger?: boolean }) {
  const { iconType: _i, icon: _c, uiSchema: _u, registry: _r, className: _cn, title, ...rest } = props;
  return (
    <button type="button" {...rest} className={`button button-small${danger ? " button-danger" : ""}`} title={title} aria-label={title ?? text}>
      {text}
    </button>
  );
}

const templates = {
  ButtonTemplates: {
    AddButton: (p: IconButtonProps) => <TextButton text="Add item" props={{ ...p, title: p.title ?? "Add item" }} />,
    RemoveButton: (p: IconButtonProps) => <TextButton text="Remove" props={{ ...p, title: "Remove item" }} danger />,
    MoveUpButton: (p: IconButtonProps) => <TextButton text="Up" props={{ ...p, title: "Move item up" }} />,
    MoveDownButton: (p: IconButtonProps) => <TextButton text="Down" props={{ ...p, title: "Move item down" }} />,
    CopyButton: (p: IconButtonProps) => <TextButton text="Copy" props={{ ...p, title: "Copy item" }} />,
    ClearButton: (p: IconButtonProps) => <TextButton text="Clear" props={{ ...p, title: "Clear" }} />,
    // The submit button is the caller's (see `submitLabel`).
    SubmitButton: (_: SubmitButtonProps) => null,
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The subschema a JSON pointer ("#/properties/count") names, if it is one. */
function schemaAt(root: unknown, pointer: string): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const raw of pointer.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return isObject(node) ? node : undefined;
}

/** A schema's own message for a failed keyword: `errorMessage: "…"` or `errorMessage: { minimum: "…" }`. */
function ownMessage(schema: Record<string, unknown> | undefined, keyword: string): string | undefined {
  const m = schema?.errorMessage;
  if (typeof m === "string") return m;
  if (isObject(m) && typeof m[keyword] === "string") return m[keyword] as string;
  return undefined;
}

/** Ajv's errors as the form shows them: the schema's message where it has one, and the field's name. */
export function schemaMessages(schema: RJSFSchema) {
  return (errors: RJSFValidationError[]): RJSFValidationError[] =>
    errors.map((error) => {
      const keyword = error.name ?? "";
      const path = (error.schemaPath ?? "").replace(new RegExp(`/${keyword}$`), "");
      let field = schemaAt(schema, path);
      let name = error.property?.replace(/^\./, "") || "parameters";
      if (keyword === "required" && typeof error.params?.missingProperty === "string") {
        const missing = error.params.missingProperty as string;
        field = schemaAt(field, `properties/${missing.replaceAll("~", "~0").replaceAll("/", "~1")}`);
        name = [name === "parameters" ? "" : name, missing].filter(Boolean).join(".");
      }
      const title = typeof field?.title === "string" ? field.title : name;
      const message = ownMessage(field, keyword) ?? (keyword === "required" ? "is required" : (error.message ?? "is not valid"));
      return { ...error, message, stack: `${title}: ${message}` };
    });
}

export function ParameterForm({
  schema,
  initial,
  onSubmit,
  submitLabel,
  busy = false,
  idPrefix = "param",
  children,
}: {
  schema: Record<string, unknown>;
  initial: Params;
  onSubmit: (parameters: Params) => void;
  submitLabel: string;
  busy?: boolean;
  idPrefix?: string;
  /** After the submit button: where the caller shows the server's answer. */
  children?: ReactNode;
}) {
  const [data, setData] = useState<Params>(initial);
  const rjsfSchema = schema as RJSFSchema;
  return (
    <Form
      className="form parameter-form"
      schema={rjsfSchema}
      formData={data}
      validator={validator}
      templates={templates}
      idPrefix={idPrefix}
      // Ajv's messages, not the browser's bubbles (which a screen reader and a test both miss).
      noHtml5Validate
      showErrorList="top"
      transformErrors={schemaMessages(rjsfSchema)}
      onChange={(e) => setData((e.formData ?? {}) as Params)}
      onSubmit={(e) => onSubmit((e.formData ?? {}) as Params)}
    >
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {submitLabel}
        </button>
        {children}
      </div>
    </Form>
  );
}
