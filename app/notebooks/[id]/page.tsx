/**
 * One notebook: its cells in order, their parameters, what each reads and its output (stale
 * ones marked), run in this tab or on pools. Editors edit, run, save and deploy; viewers read.
 * `?version=N` shows an earlier saved version, read-only.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getViewer } from "@/app/_lib/viewer";
import { PIPELINE_PREFIX } from "@/common/notebook";
import { serverCaller } from "@/server/api/server-caller";
import { NotebookEditor } from "./notebook-editor";
import { NotebookRuns } from "./notebook-runs";
import { NotebookVersions } from "./notebook-versions";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

async function load(id: string, version?: number) {
  const api = await serverCaller();
  return api.notebooks.get({ id, ...(version ? { version } : {}) }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
}

function versionParam(raw: string | string[] | undefined): number | undefined {
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: (await load((await params).id)).name };
}

export default async function NotebookPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { id } = await params;
  const asked = versionParam((await searchParams).version);
  const [current, viewer] = await Promise.all([load(id), getViewer()]);
  const shown = asked && asked !== current.version ? await load(id, asked) : current;
  const api = await serverCaller();
  const [runs, versions, deployments] = await Promise.all([
    api.notebooks.runs({ id: current.id }),
    api.notebooks.versions({ id: current.id, limit: 50 }),
    // Its deployments (of the flow named after it; none until deployed), to say where to run it while it has no runs.
    api.deployments
      .list({ flow: current.name })
      .then((all) => all.filter((d) => d.entrypoint?.startsWith(`${PIPELINE_PREFIX}${current.id}@`)))
      .catch((err: unknown) => {
        if (err instanceof TRPCError && err.code === "NOT_FOUND") return [];
        throw err;
      }),
  ]);
  const old = shown.version !== current.version;
  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/notebooks">Notebooks</Link>
      </nav>
      {old ? (
        <p className="notice notice-warn" data-testid="old-version">
          This is version {shown.version}, read-only; the notebook is at version {current.version}. <Link href={`/notebooks/${id}`}>Open the current version</Link>
        </p>
      ) : null}
      <NotebookEditor key={shown.version} notebook={shown} canEdit={viewer.canEdit && !old} workspace={viewer.workspace} me={viewer.user ? `user:${viewer.user.email}` : "user"} />
      <NotebookRuns notebookId={current.id} runs={runs} deployments={deployments} />
      <NotebookVersions notebookId={current.id} versions={versions} shown={shown.version} current={current.version} />
    </>
  );
}
