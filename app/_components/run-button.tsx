"use client";
/**
 * "Run" on a deployment: creates a flow run now through `deployments.run` over HTTP and says what
 * happened: the new run's name with a link to it, or the API's own error message.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTRPC } from "./trpc-provider";

export function RunButton({ deploymentId, label, paused = false }: { deploymentId: string; label: string; paused?: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const run = useMutation(
    trpc.deployments.run.mutationOptions({
      // The lists on other pages (runs, flows' last run) are server-rendered: refresh them.
      onSuccess: () => router.refresh(),
    }),
  );

  return (
    <div className="run-action">
      <button
        type="button"
        className="button button-primary"
        aria-label={`Run ${label}`}
        disabled={run.isPending || paused}
        title={paused ? "The deployment is paused: resume it to run it" : undefined}
        onClick={() => run.mutate({ deployment: deploymentId })}
      >
        {run.isPending ? "Starting…" : "Run"}
      </button>
      <span role="status" aria-live="polite" className="run-feedback">
        {run.isSuccess ? (
          <span className="feedback-ok">
            Created <Link href={`/runs/${run.data.id}`}>{run.data.name}</Link>
          </span>
        ) : null}
        {run.isError ? <span className="feedback-error">{run.error.message}</span> : null}
      </span>
    </div>
  );
}
