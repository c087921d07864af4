"use client";
/**
 * Creating or editing a deployment: its flow and name, what it runs (entrypoint), where (work
 * pool and queue), default parameters and their JSON schema, tags, schedules (the schedule
 * builder) and whether it is paused. The server checks everything again and its message is
 * shown as it is; the page refuses to send only what it can see is wrong (JSON that does not
 * parse, a schedule the builder refuses).
 *
 * On edit only what changed is sent for the entrypoint and the pool: an editor may keep an
 * owner's file entrypoint while changing the rest, but not set or move one.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type ReactNode } from "react";
import { useTRPC } from "@/app/_components/trpc-provider";
import { draftFromSchedule, scheduleInput, scheduleProblem, type ScheduleDraft } from "@/app/_lib/schedule-draft";
import type { Deployment } from "@/app/_lib/trpc-types";
import { ScheduleBuilder } from "./schedule-builder";

export interface PoolChoice {
  name: string;
  type: string;
  queues: string[];
}

/** A parameter schema to start from: one required text and a bounded count, with a message of its own. */
export const EXAMPLE_SCHEMA = `{
  "type": "object",
  "required": ["name"],
  "properties": {
    "name": { "type": "string", "title": "Name", "minLength": 1 },
    "count": {
      "type": "integer", "title": "Count", "minimum": 1, "maximum": 10, "default": 3,
      "errorMessage": "Count must be a whole number from 1 to 10"
    }
  }
}`;

function parseJsonObject(text: string, what: string): { value?: Record<string, unknown>; problem?: string } {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: `${what} must be a JSON object ({ … }).` };
    return { value: value as Record<string, unknown> };
  } catch (err) {
    return { problem: `${what} is not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * A labelled field whose hint is outside the label (tied by aria-describedby), so the control's
 * name is its label alone.
 */
function Field({
  label,
  hint,
  wide = false,
  children,
}: {
  label: string;
  hint?: ReactNode;
  wide?: boolean;
  children: (props: { id: string; "aria-describedby"?: string }) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={wide ? "field field-wide" : "field"}>
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({ id, "aria-describedby": hint ? `${id}-hint` : undefined })}
      {hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

const pretty = (v: unknown) => (v && Object.keys(v as object).length ? JSON.stringify(v, null, 2) : "");

export function DeploymentForm({ deployment, pools }: { deployment?: Deployment; pools: PoolChoice[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const editing = deployment !== undefined;
  const [flow, setFlow] = useState(deployment?.flowName ?? "");
  const [name, setName] = useState(deployment?.name ?? "");
  const [description, setDescription] = useState(deployment?.description ?? "");
  const [version, setVersion] = useState(deployment?.version ?? "");
  const [entrypoint, setEntrypoint] = useState(deployment?.entrypoint ?? "");
  const [workPool, setWorkPool] = useState(deployment?.workPoolName ?? pools[0]?.name ?? "");
  const [workQueue, setWorkQueue] = useState(deployment?.workQueueName ?? "");
  const [tags, setTags] = useState(deployment?.tags.join(", ") ?? "");
  const [schemaText, setSchemaText] = useState(deployment ? pretty(deployment.parameterSchema) : "");
  const [defaultsText, setDefaultsText] = useState(deployment ? pretty(deployment.parameters) : "");
  const [paused, setPaused] = useState(deployment?.paused ?? false);
  const [schedules, setSchedules] = useState<ScheduleDraft[]>(deployment ? deployment.schedules.map(draftFromSchedule) : []);
  const [problem, setProblem] = useState<string | null>(null);
  const browserZone = typeof Intl !== "undefined" ? Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" : "UTC";

  const onSaved = (saved: { id: string }) => {
    router.push(`/deployments/${saved.id}`);
    router.refresh();
  };
  const create = useMutation(trpc.deployments.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.deployments.update.mutationOptions({ onSuccess: onSaved }));
  const saving = create.isPending || update.isPending;
  const serverError = create.error ?? update.error;
  const queues = pools.find((p) => p.name === workPool)?.queues ?? [];

  function submit() {
    setProblem(null);
    create.reset();
    update.reset();
    const schema = parseJsonObject(schemaText, "The parameter schema");
    const defaults = parseJsonObject(defaultsText, "The default parameters");
    const badSchedule = schedules.map(scheduleProblem).findIndex((p) => p !== null);
    const first =
      schema.problem ??
      defaults.problem ??
      (badSchedule >= 0 ? `Schedule ${badSchedule + 1}: ${scheduleProblem(schedules[badSchedule]!)}` : null);
    if (first) {
      setProblem(first);
      return;
    }
    const fields = {
      description: description.trim() || null,
      version: version.trim() || null,
      parameters: defaults.value ?? {},
      parameterSchema: schema.value ?? null,
      workQueue: workPool && workQueue ? workQueue : null,
      tags: tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      paused,
      schedules: schedules.map(scheduleInput),
    };
    if (!editing) {
      create.mutate({ flow: flow.trim(), name: name.trim(), ...fields, entrypoint: entrypoint.trim() || null, workPool: workPool || null });
      return;
    }
    const changedEntrypoint = (entrypoint.trim() || null) !== (deployment.entrypoint ?? null);
    const changedPool = (workPool || null) !== (deployment.workPoolName ?? null);
    update.mutate({
      deployment: deployment.id,
      name: name.trim(),
      ...fields,
      ...(changedEntrypoint ? { entrypoint: entrypoint.trim() || null } : {}),
      ...(changedPool ? { workPool: workPool || null } : {}),
    });
  }

  return (
    <form
      className="form panel deployment-form"
      aria-label={editing ? `Edit ${deployment.flowName}/${deployment.name}` : "New deployment"}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="inline-form">
        <Field label="Flow" hint={editing ? "A deployment stays with its flow." : "Created with the deployment if it does not exist yet."}>
          {(p) => <input {...p} type="text" value={flow} required readOnly={editing} maxLength={200} placeholder="hello" onChange={(e) => setFlow(e.target.value)} />}
        </Field>
        <label className="field">
          <span className="field-label">Deployment name</span>
          <input type="text" value={name} required maxLength={200} placeholder="daily" onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">Version</span>
          <input type="text" value={version} maxLength={200} placeholder="optional" onChange={(e) => setVersion(e.target.value)} />
        </label>
      </div>
      <label className="field">
        <span className="field-label">Description</span>
        <input type="text" value={description} maxLength={5000} placeholder="What it does, for the people who run it" onChange={(e) => setDescription(e.target.value)} />
      </label>
      <Field
        label="Entrypoint"
        hint={
          <>
            What the worker runs: a built-in kind (<code>kind:encode</code>, <code>kind:pdf</code>, <code>kind:cluster</code>…), or a
            file in the worker&apos;s code root and its flow (<code>path/to/file.ts:flowName</code>; setting one needs the permission
            to define what workers execute, which owners have).
          </>
        }
      >
        {(p) => (
          <input {...p} type="text" value={entrypoint} maxLength={1000} spellCheck={false} placeholder="kind:encode or flows/report.ts:report" onChange={(e) => setEntrypoint(e.target.value)} />
        )}
      </Field>
      <div className="inline-form">
        <label className="field">
          <span className="field-label">Work pool</span>
          <select
            value={workPool}
            onChange={(e) => {
              setWorkPool(e.target.value);
              setWorkQueue("");
            }}
          >
            <option value="">No pool (no worker will take its runs)</option>
            {pools.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} ({p.type})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Work queue</span>
          <select value={workQueue} disabled={!workPool} onChange={(e) => setWorkQueue(e.target.value)}>
            <option value="">The pool&apos;s default queue</option>
            {queues.map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </label>
        <Field label="Tags" hint="Separated by commas." wide>
          {(p) => <input {...p} type="text" value={tags} placeholder="nightly, reports" onChange={(e) => setTags(e.target.value)} />}
        </Field>
      </div>
      {pools.length === 0 ? (
        <p className="notice notice-warn">
          There is no work pool yet, so no worker would take this deployment&apos;s runs. <Link href="/work-pools">Create a work pool</Link>{" "}
          first, or save it without one and set it later.
        </p>
      ) : null}
      <div className="grid-2">
        <Field
          label="Parameter schema (JSON schema, optional)"
          hint={
            <>
              &quot;Run with parameters&quot; builds its form from it; runs are checked against it. A field&apos;s{" "}
              <code>errorMessage</code> is what the form says when the value is wrong.{" "}
              {schemaText.trim() ? null : (
                <button type="button" className="button button-small" onClick={() => setSchemaText(EXAMPLE_SCHEMA)}>
                  Start from an example
                </button>
              )}
            </>
          }
        >
          {(p) => <textarea {...p} className="code-input" rows={10} value={schemaText} spellCheck={false} onChange={(e) => setSchemaText(e.target.value)} />}
        </Field>
        <Field label="Default parameters (JSON, optional)" hint="Used by every run unless the run gives its own.">
          {(p) => (
            <textarea {...p} className="code-input" rows={10} value={defaultsText} spellCheck={false} placeholder='{ "name": "world" }' onChange={(e) => setDefaultsText(e.target.value)} />
          )}
        </Field>
      </div>
      <ScheduleBuilder schedules={schedules} onChange={setSchedules} defaultTimezone={browserZone} />
      <label className="toggle">
        <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.target.checked)} /> Paused (its schedules make no runs and it cannot be
        run)
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save changes" : "Create deployment"}
        </button>
        {editing ? (
          <Link className="button" href={`/deployments/${deployment.id}`}>
            Cancel
          </Link>
        ) : null}
      </div>
      {problem || serverError ? (
        <p className="feedback-error" role="alert" data-testid="deployment-form-error">
          {problem ?? serverError?.message}
        </p>
      ) : null}
    </form>
  );
}
