/** The facts of a flow run as a definition list: where it ran, when, how often, with what. */
import Link from "next/link";
import type { ReactNode } from "react";
import { LocalTime } from "@/app/_components/local-time";
import { formatDuration, runDuration } from "@/app/_lib/format";
import type { FlowRun } from "@/app/_lib/trpc-types";
import { Tags } from "@/app/_components/tags";

/** `parent`: the flow run that called this one as a subflow (null when it is gone or not visible). */
export function RunDetails({ run, now, parent }: { run: FlowRun; now: Date; parent?: Pick<FlowRun, "id" | "name" | "flowName"> | null }) {
  const duration = runDuration(run, now);
  // A retried run waiting again still carries its last attempt's times: say whose they are.
  const previous = (run.stateType === "SCHEDULED" || run.stateType === "PENDING") && run.startTime ? "Last attempt " : "";
  return (
    <dl className="details">
      <Detail term="Flow">
        <Link href={`/runs?flow=${encodeURIComponent(run.flowName)}`}>{run.flowName}</Link>
      </Detail>
      <Detail term="Deployment">
        {run.deploymentName ? (
          <Link href={`/runs?deployment=${encodeURIComponent(`${run.flowName}/${run.deploymentName}`)}`}>{run.deploymentName}</Link>
        ) : (
          <span className="muted">none</span>
        )}
      </Detail>
      <Detail term="Work pool / queue">
        {run.workPoolName ? (
          <Link href="/work-pools">{`${run.workPoolName}${run.workQueueName ? ` / ${run.workQueueName}` : ""}`}</Link>
        ) : (
          <span className="muted">none</span>
        )}
      </Detail>
      <Detail term="Scheduled">
        <LocalTime iso={run.scheduledTime} relative />
      </Detail>
      <Detail term={previous ? `${previous}started` : "Started"}>
        <LocalTime iso={run.startTime} seconds />
      </Detail>
      <Detail term={previous ? `${previous}ended` : "Ended"}>
        <LocalTime iso={run.endTime} seconds />
      </Detail>
      <Detail term="Duration">{duration === null ? <span className="muted">—</span> : formatDuration(duration)}</Detail>
      <Detail term="Attempts">
        {run.runCount} {run.maxRetries ? <span className="muted">(up to {run.maxRetries} retries)</span> : null}
      </Detail>
      <Detail term="Priority">{run.priority}</Detail>
      <Detail term="Tags">
        <Tags tags={run.tags} />
      </Detail>
      {run.parentFlowRunId ? (
        <Detail term="Parent run">
          <Link href={`/runs/${run.parentFlowRunId}`} data-testid="parent-run">
            {parent ? `${parent.name} (${parent.flowName})` : run.parentFlowRunId}
          </Link>
        </Detail>
      ) : null}
      {run.codeVersion ? (
        <Detail term="Code version">
          <code title={run.codeVersion} data-testid="run-code-version">
            {run.codeVersion.slice(0, 19)}
          </code>
        </Detail>
      ) : null}
      {run.idempotencyKey ? <Detail term="Idempotency key">{run.idempotencyKey}</Detail> : null}
      <Detail term="Run id">
        <code>{run.id}</code>
      </Detail>
    </dl>
  );
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
