/** Notebooks: pages of cells — task kinds wired into a DAG — that run in the tab and save with versions. */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { EmptyState } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { NewNotebook } from "./new-notebook";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Notebooks" };

const PAGE_SIZE = 100;

export default async function NotebooksPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { cursor: rawCursor } = await searchParams;
  const cursor = Array.isArray(rawCursor) ? rawCursor[0] : rawCursor;
  const [api, viewer] = await Promise.all([serverCaller(), getViewer()]);
  const page = await api.notebooks.list({ limit: PAGE_SIZE, cursor }).catch((err: unknown) => {
    if (cursor && err instanceof TRPCError && err.code === "BAD_REQUEST") redirect("/notebooks");
    throw err;
  });

  return (
    <>
      <header className="page-header">
        <div>
          <h1>Notebooks</h1>
          <p>Cells that each run a step — upload a file, read a PDF, encode, cluster — wired by what they read, run in this tab and saved for everyone in the workspace.</p>
        </div>
      </header>
      {viewer.canEdit ? <NewNotebook /> : null}
      {page.items.length === 0 && !cursor ? (
        <EmptyState title="No notebooks yet" testId="notebooks-empty">
          {viewer.canEdit ? (
            <p>Create your first notebook above: add an upload cell with a PDF, then pdf, encode and cluster cells, and run them all in this tab.</p>
          ) : (
            <p>Create your first notebook once an owner makes you an editor: viewers can open notebooks but not create them.</p>
          )}
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Notebooks">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="numeric">
                    Cells
                  </th>
                  <th scope="col" className="numeric">
                    Version
                  </th>
                  <th scope="col">Saved</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((n) => (
                  <tr key={n.id} data-testid="notebook-row">
                    <td>
                      <Link href={`/notebooks/${n.id}`} className="cell-main">
                        {n.name}
                      </Link>
                    </td>
                    <td className="numeric">{n.cellCount}</td>
                    <td className="numeric">{n.version}</td>
                    <td>
                      <LocalTime iso={n.updatedAt} /> <span className="muted">by {n.updatedBy}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {page.nextCursor ? (
            <nav className="pager" aria-label="Pages">
              <Link href={`/notebooks?cursor=${encodeURIComponent(page.nextCursor)}`}>Next page</Link>
            </nav>
          ) : null}
        </>
      )}
    </>
  );
}
