/**
 * One notebook: its cells in order, their parameters, what each reads and its output (stale
 * ones marked), run in this tab. Editors edit, run and save; viewers read.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { NotebookEditor } from "./notebook-editor";
import { NotebookRuns } from "./notebook-runs";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

async function load(id: string) {
  const api = await serverCaller();
  return api.notebooks.get({ id }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: (await load((await params).id)).name };
}

export default async function NotebookPage({ params }: { params: Params }) {
  const { id } = await params;
  const [notebook, viewer] = await Promise.all([load(id), getViewer()]);
  const runs = await (await serverCaller()).notebooks.runs({ id: notebook.id });
  return (
    <>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link href="/notebooks">Notebooks</Link>
      </nav>
      <NotebookEditor notebook={notebook} canEdit={viewer.canEdit} workspace={viewer.workspace} />
      <NotebookRuns notebookId={notebook.id} runs={runs} />
    </>
  );
}
