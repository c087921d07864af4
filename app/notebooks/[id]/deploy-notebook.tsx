"use client";
/**
 * "Deploy": the notebook as last saved becomes a pipeline flow with a deployment on a node work
 * pool, whose runs workers execute cell by cell with no browser open; schedules and runs are
 * then the deployment page's. Deploying again points the deployment at the newest version. A cell
 * sent to another pool runs there as a run of its own: the panel says which.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/app/_components/trpc-provider";
import { cellRunsApart, type Cell } from "@/common/notebook";

export function DeployNotebook({ notebookId, version, dirty, cells }: { notebookId: string; version: number; dirty: boolean; cells: readonly Cell[] }) {
  const trpc = useTRPC();
  const pools = useQuery(trpc.workPools.list.queryOptions());
  const nodePools = (pools.data ?? []).filter((p) => p.type === "node");
  const [pool, setPool] = useState("");
  const deploy = useMutation(trpc.notebooks.deploy.mutationOptions());
  const chosen = pool || nodePools[0]?.name || "";
  const apart = chosen ? cells.filter((c) => cellRunsApart(c, chosen)) : [];
  return (
    <section className="panel notebook-deploy" aria-label="Deploy">
      <h2>Deploy</h2>
      <p className="muted">
        Version {version} as a pipeline flow: a deployment whose runs a Node worker of the pool executes cell by cell, with no browser open. Schedule it on its deployment page.
      </p>
      {pools.isSuccess && nodePools.length === 0 ? (
        <p className="muted" data-testid="deploy-no-pool">
          There is no node work pool yet: <Link href="/work-pools">create one</Link>, start a worker on it (<code>baton worker start -p NAME</code>), then deploy.
        </p>
      ) : (
        <div className="inline-form">
          <label>
            Work pool{" "}
            <select value={chosen} onChange={(e) => setPool(e.target.value)} data-testid="deploy-pool">
              {nodePools.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button"
            disabled={deploy.isPending || dirty || !chosen}
            title={dirty ? "Save first: a deployment runs a saved version" : undefined}
            onClick={() => deploy.mutate({ id: notebookId, workPool: chosen })}
            data-testid="deploy-notebook"
          >
            Deploy version {version}
          </button>
        </div>
      )}
      {apart.length ? (
        <p className="muted" data-testid="deploy-cells-apart">
          {apart.map((c, i) => (
            <span key={c.id}>
              {i ? "; " : ""}
              <code>{c.id}</code> runs on pool {(c.target as { pool: string }).pool}
            </span>
          ))}{" "}
          as {apart.length === 1 ? "a run of its own, which a worker of that pool takes" : "runs of their own, which workers of those pools take"}; the other cells run on {chosen}.
        </p>
      ) : null}
      <p role="status" aria-live="polite" data-testid="deploy-status">
        {deploy.isSuccess ? (
          <span className="feedback-ok">
            Deployed as <Link href={`/deployments/${deploy.data.id}`}>{`${deploy.data.flowName}/${deploy.data.name}`}</Link> ({deploy.data.entrypoint})
          </span>
        ) : null}
        {deploy.isError ? <span className="feedback-error">{deploy.error.message}</span> : null}
      </p>
    </section>
  );
}
