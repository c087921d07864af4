/**
 * One deployment: what it runs and where, its schedules in words with their next five times
 * (in each schedule's timezone), its parameters and their schema, its recent runs (each waiting
 * one says why), and for editors and owners: Run, Run with parameters, Edit, Pause/Resume, Delete.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { LocalTime } from "@/app/_components/local-time";
import { RunButton } from "@/app/_components/run-button";
import { RunsWithReasons, waitingReasons } from "@/app/_components/runs-with-reasons";
import { draftFromSchedule, formatInZone, nextRunTimes } from "@/app/_lib/schedule-draft";
import type { Deployment } from "@/app/_lib/trpc-types";
import { getViewer } from "@/app/_lib/viewer";
import { describeSchedule } from "@/common/schedule-description";
import { DeleteDeployment, PauseResume, RunWithParameters } from "./deployment-actions";
import { loadDeployment } from "./load";
import { Tags } from "@/app/_components/tags";
import { PIPELINE_PREFIX } from "@/common/notebook";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

const RECENT_RUNS = 20;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { deployment } = await loadDeployment((await params).id);
  return { title: `${deployment.flowName}/${deployment.name}` };
}

/** A stored schedule's next times: it was saved, so its fields are read as croner reads them. */
function upcoming(schedule: Deployment["schedules"][number], now: Date): Date[] {
  const draft = draftFromSchedule(schedule);
  if (draft.kind === "cron") draft.withSeconds = !draft.cron.trim().startsWith("@") && draft.cron.trim().split(/\s+/).length > 5;
  return nextRunTimes({ ...draft, active: true }, 5, now);
}

function policyWords(policy: Deployment["policy"]): string[] {
  const words: string[] = [];
  if (policy.maxRetries) words.push(`up to ${policy.maxRetries} retries${policy.retryDelaySeconds ? `, ${policy.retryDelaySeconds} s apart` : ""}${policy.retryBackoff && policy.retryBackoff !== 1 ? ` (× ${policy.retryBackoff} each time)` : ""}`);
  if (policy.timeoutSeconds) words.push(`times out after ${policy.timeoutSeconds} s`);
  if (policy.requirements && Object.keys(policy.requirements).length) words.push(`needs a worker with ${JSON.stringify(policy.requirements)}`);
  return words;
}

export default async function DeploymentPage({ params }: { params: Params }) {
  const { id } = await params;
  const [{ api, deployment: d }, viewer] = await Promise.all([loadDeployment(id), getViewer()]);
  const runs = (await api.flowRuns.list({ deployment: d.id, limit: RECENT_RUNS })).items;
  const reasons = await waitingReasons(api, runs);
  const fullName = `${d.flowName}/${d.name}`;
  const now = new Date();
  const policy = policyWords(d.policy);

  return (
    <>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/deployments">Deployments</Link> / {d.flowName}
          </div>
          <h1>
            {fullName}{" "}
            {d.paused ? (
              <span className="badge badge-warn" data-testid="deployment-status">
                Paused
              </span>
            ) : (
              <span className="badge badge-neutral" data-testid="deployment-status">
                Active
              </span>
            )}
          </h1>
          {d.description ? <p>{d.description}</p> : null}
        </div>
        {viewer.canEdit ? (
          <div className="section-actions" role="group" aria-label="Deployment actions">
            <RunButton deploymentId={d.id} label={fullName} paused={d.paused} />
            <PauseResume deploymentId={d.id} label={fullName} paused={d.paused} />
            <Link className="button" href={`/deployments/${d.id}/edit`} aria-label={`Edit ${fullName}`}>
              Edit
            </Link>
            <DeleteDeployment deploymentId={d.id} label={fullName} />
          </div>
        ) : null}
      </header>

      {d.scheduleError ? (
        <p className="notice notice-warn" role="alert" data-testid="schedule-error">
          <strong>The scheduler made none of its last runs:</strong> {d.scheduleError}
          {d.scheduleErrorAt ? (
            <>
              {" "}
              (since <LocalTime iso={d.scheduleErrorAt} />)
            </>
          ) : null}
        </p>
      ) : null}

      <section className="panel" aria-labelledby="deployment-details">
        <h2 id="deployment-details" className="visually-hidden">
          Details
        </h2>
        <dl className="details">
          <dt>Flow</dt>
          <dd>{d.flowName}</dd>
          <dt>Runs</dt>
          <dd>{d.entrypoint ? <code>{d.entrypoint}</code> : <span className="muted">no entrypoint (runs made through the API or the SDK)</span>}</dd>
          {/* A kind or a deployed notebook runs Baton's own code: only a flow file has code delivered or not. */}
          {d.entrypoint && !d.entrypoint.startsWith("kind:") && !d.entrypoint.startsWith(PIPELINE_PREFIX) ? (
            <>
              <dt>Code</dt>
              <dd data-testid="deployment-code">
                {d.codeVersion && d.code ? (
                  <>
                    <code title={d.codeVersion}>{d.codeVersion.slice(0, 19)}</code>{" "}
                    <span className="muted">
                      delivered {d.code.files.length === 1 ? "1 file" : `${d.code.files.length} files`}, {Math.max(1, Math.round(d.code.sizeBytes / 1024))} KB
                      {Object.keys(d.code.dependencies).length ? `; imports ${Object.entries(d.code.dependencies).sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `${n}@${v}`).join(", ")}` : ""}
                    </span>
                  </>
                ) : (
                  <span className="muted">from each worker&apos;s checkout (deployed with --no-bundle)</span>
                )}
              </dd>
            </>
          ) : null}
          <dt>Work pool</dt>
          <dd>
            {d.workPoolName ? (
              <>
                <Link href={`/work-pools#pool-${d.workPoolId}`}>{d.workPoolName}</Link>
                {d.workQueueName ? <span className="muted"> / {d.workQueueName}</span> : null}
              </>
            ) : (
              <span className="muted">none: no worker will take its runs{viewer.canEdit ? "; edit it to choose a pool" : ""}</span>
            )}
          </dd>
          <dt>Tags</dt>
          <dd>
            <Tags tags={d.tags} empty={<span className="muted">none</span>} />
          </dd>
          {d.version ? (
            <>
              <dt>Version</dt>
              <dd>{d.version}</dd>
            </>
          ) : null}
          <dt>Retries and limits</dt>
          <dd>{policy.length ? policy.join("; ") : <span className="muted">no retries, no timeout</span>}</dd>
          <dt>Updated</dt>
          <dd>
            <LocalTime iso={d.updatedAt} relative />
          </dd>
        </dl>
      </section>

      <section aria-labelledby="deployment-schedules">
        <h2 id="deployment-schedules">Schedules</h2>
        {d.schedules.length === 0 ? (
          <p className="muted" data-testid="no-schedules">
            No schedules: it runs only when someone runs it.{viewer.canEdit ? " Edit it to add a cron or interval schedule." : ""}
          </p>
        ) : (
          <ul className="plain-list schedule-list">
            {d.schedules.map((s) => {
              const times = d.paused || !s.active ? [] : upcoming(s, now);
              return (
                <li key={s.id} data-testid="deployment-schedule">
                  <div className={s.active ? "cell-main" : "cell-main muted"}>{describeSchedule(s)}</div>
                  {s.cron ? <code className="cell-sub">{s.cron}</code> : null}
                  {times.length ? (
                    <ol className="next-runs" aria-label="Next five runs">
                      {times.map((t) => (
                        <li key={t.getTime()}>
                          <time dateTime={t.toISOString()}>{formatInZone(t, s.cron ? s.timezone : "UTC")}</time>
                        </li>
                      ))}
                    </ol>
                  ) : (
                    <div className="cell-sub">{d.paused ? "No runs while the deployment is paused." : "Inactive: it makes no runs."}</div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <div className="grid-2">
        <section aria-labelledby="deployment-parameters">
          <h2 id="deployment-parameters">Default parameters</h2>
          {Object.keys(d.parameters).length ? (
            <pre className="block" data-testid="deployment-parameters">
              {JSON.stringify(d.parameters, null, 2)}
            </pre>
          ) : (
            <p className="muted">None: each run gets what it is given.</p>
          )}
        </section>
        <section aria-labelledby="deployment-schema">
          <h2 id="deployment-schema">Parameter schema</h2>
          {d.parameterSchema ? (
            <details>
              <summary>
                {Object.keys((d.parameterSchema.properties as object | undefined) ?? {}).length} parameters
                {Array.isArray(d.parameterSchema.required) && d.parameterSchema.required.length
                  ? `, ${d.parameterSchema.required.length} required (${d.parameterSchema.required.join(", ")})`
                  : ""}
                : show the JSON schema
              </summary>
              <pre className="block">{JSON.stringify(d.parameterSchema, null, 2)}</pre>
            </details>
          ) : (
            <p className="muted">None: parameters are not checked.{viewer.canEdit ? " Edit it to add a JSON schema and get a form for runs." : ""}</p>
          )}
        </section>
      </div>

      {viewer.canEdit ? (
        <RunWithParameters deploymentId={d.id} label={fullName} paused={d.paused} schema={d.parameterSchema} defaults={d.parameters} />
      ) : null}

      <section aria-labelledby="deployment-runs">
        <h2 id="deployment-runs">Recent runs</h2>
        {runs.length === 0 ? (
          <p className="muted" data-testid="deployment-runs-empty">
            No runs yet.{" "}
            {viewer.canEdit
              ? "Press Run, or Run with parameters, to make one; its schedules make them too."
              : "Its schedules make them, or an editor can run it."}
          </p>
        ) : (
          <>
            <RunsWithReasons runs={runs} reasons={reasons} label={`Runs of ${fullName}`} />
            <p>
              <Link href={`/runs?deployment=${encodeURIComponent(d.id)}`}>All runs of this deployment</Link>
            </p>
          </>
        )}
      </section>
    </>
  );
}
