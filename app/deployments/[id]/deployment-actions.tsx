"use client";
/**
 * What an editor does to one deployment from its page: pause or resume it, delete it (the
 * question says how many scheduled runs that withdraws, counted when it is asked), and run it
 * with parameters of their own through the form generated from its schema.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ParameterForm } from "@/app/_components/parameter-form";
import { useTRPC, useTRPCClient } from "@/app/_components/trpc-provider";
import { pluralise } from "@/app/_lib/format";

export function PauseResume({ deploymentId, label, paused }: { deploymentId: string; label: string; paused: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const update = useMutation(trpc.deployments.update.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <>
      <button
        type="button"
        className="button"
        aria-label={`${paused ? "Resume" : "Pause"} ${label}`}
        disabled={update.isPending}
        onClick={() => update.mutate({ deployment: deploymentId, paused: !paused })}
      >
        {update.isPending ? (paused ? "Resuming…" : "Pausing…") : paused ? "Resume" : "Pause"}
      </button>
      {update.isError ? (
        <span className="feedback-error" role="alert">
          {update.error.message}
        </span>
      ) : null}
    </>
  );
}

/** Runs still waiting to start, as deployments.delete counts them (at most 500 listed; "500 or more"). */
async function countScheduled(client: ReturnType<typeof useTRPCClient>, deploymentId: string): Promise<string> {
  const page = await client.flowRuns.list.query({ deployment: deploymentId, states: ["SCHEDULED"], limit: 500 });
  return page.nextCursor ? "500 or more scheduled runs" : pluralise(page.items.length, "scheduled run");
}

export function DeleteDeployment({ deploymentId, label }: { deploymentId: string; label: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const [question, setQuestion] = useState<string | null>(null);
  const [counting, setCounting] = useState(false);
  const [countError, setCountError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.deployments.delete.mutationOptions({
      onSuccess: (done) => router.push(`/deployments?deleted=${encodeURIComponent(label)}&withdrawn=${done.withdrawnRuns}`),
    }),
  );

  async function ask() {
    remove.reset();
    setCountError(null);
    setCounting(true);
    try {
      const runs = await countScheduled(client, deploymentId);
      setQuestion(
        runs.startsWith("0 ")
          ? `Delete ${label}? No scheduled run is waiting, so none is withdrawn; its past runs stay.`
          : `Delete ${label}? This withdraws ${runs} (they are cancelled); runs that have started or finished stay.`,
      );
    } catch (err) {
      setCountError(`Could not count its scheduled runs: ${(err as Error).message}`);
    } finally {
      setCounting(false);
    }
  }

  return (
    <div className="section-actions" data-testid="delete-deployment">
      {question ? (
        <>
          <span className="confirm-text" data-testid="delete-question">
            {question}
          </span>
          <button
            type="button"
            className="button button-danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ deployment: deploymentId }, { onError: () => setQuestion(null) })}
          >
            {remove.isPending ? "Deleting…" : "Yes, delete"}
          </button>
          <button type="button" className="button" disabled={remove.isPending} onClick={() => setQuestion(null)}>
            Keep it
          </button>
        </>
      ) : (
        <button type="button" className="button" aria-label={`Delete ${label}`} disabled={counting} onClick={() => void ask()}>
          {counting ? "Counting runs…" : "Delete"}
        </button>
      )}
      {remove.isError || countError ? (
        <span className="feedback-error" role="alert">
          {countError ?? remove.error?.message}
        </span>
      ) : null}
    </div>
  );
}

function parseParameters(text: string): { value?: Record<string, unknown>; problem?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "Parameters must be a JSON object ({ … })." };
    return { value: value as Record<string, unknown> };
  } catch (err) {
    return { problem: `Not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * "Run with parameters": the deployment's schema as a form (its defaults filled in), or a JSON
 * box when it has no schema. The run gets exactly what the form holds.
 */
export function RunWithParameters({
  deploymentId,
  label,
  paused,
  schema,
  defaults,
}: {
  deploymentId: string;
  label: string;
  paused: boolean;
  schema: Record<string, unknown> | null;
  defaults: Record<string, unknown>;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [jsonText, setJsonText] = useState(() => JSON.stringify(defaults, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const run = useMutation(trpc.deployments.run.mutationOptions({ onSuccess: () => router.refresh() }));
  const send = (parameters: Record<string, unknown>) => {
    setProblem(null);
    run.mutate({ deployment: deploymentId, parameters });
  };

  const feedback = (
    <span role="status" aria-live="polite" className="run-feedback" data-testid="run-with-parameters-feedback">
      {run.isSuccess ? (
        <span className="feedback-ok">
          Created <Link href={`/runs/${run.data.id}`}>{run.data.name}</Link>
        </span>
      ) : null}
      {run.isError || problem ? <span className="feedback-error">{problem ?? run.error?.message}</span> : null}
    </span>
  );

  return (
    <section className="panel" aria-labelledby="run-with-parameters">
      <h2 id="run-with-parameters">Run with parameters</h2>
      {paused ? (
        <p className="muted">The deployment is paused: resume it to run it.</p>
      ) : !open ? (
        <button type="button" className="button" aria-label={`Run ${label} with parameters`} onClick={() => setOpen(true)}>
          Choose parameters…
        </button>
      ) : schema ? (
        <ParameterForm schema={schema} initial={defaults} submitLabel={run.isPending ? "Starting…" : "Run with these parameters"} busy={run.isPending} onSubmit={send}>
          {feedback}
        </ParameterForm>
      ) : (
        <form
          className="form"
          aria-label="Parameters"
          onSubmit={(e) => {
            e.preventDefault();
            const parsed = parseParameters(jsonText);
            if (parsed.problem) setProblem(parsed.problem);
            else send(parsed.value!);
          }}
        >
          <label className="field">
            <span className="field-label">Parameters (JSON)</span>
            <textarea className="code-input" rows={8} value={jsonText} spellCheck={false} onChange={(e) => setJsonText(e.target.value)} />
            <span className="field-hint">This deployment has no parameter schema; edit it to add one and get a form here.</span>
          </label>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={run.isPending}>
              {run.isPending ? "Starting…" : "Run with these parameters"}
            </button>
            {feedback}
          </div>
        </form>
      )}
    </section>
  );
}
