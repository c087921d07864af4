/** Flows: every named unit of work, with how many deployments it has and when it last ran. */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { EmptyState, Snippet } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { serverCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Flows" };

const PAGE_SIZE = 100;

export default async function FlowsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { cursor: rawCursor } = await searchParams;
  const cursor = Array.isArray(rawCursor) ? rawCursor[0] : rawCursor;
  const api = await serverCaller();
  const page = await api.flows.list({ limit: PAGE_SIZE, cursor }).catch((err: unknown) => {
    // A stale or hand-edited page link: start again from the first page.
    if (cursor && err instanceof TRPCError && err.code === "BAD_REQUEST") redirect("/flows");
    throw err;
  });

  return (
    <>
      <header className="page-header">
        <div>
          <h1>Flows</h1>
          <p>Named units of work. Deploy a flow to run it on a work pool, on demand or on a schedule.</p>
        </div>
      </header>
      {page.items.length === 0 && !cursor ? (
        <EmptyState title="No flows yet" testId="flows-empty">
          <p>
            A flow is a named piece of workflow logic: TypeScript code written with <code>flow()</code>, or a pipeline of
            task kinds. A flow appears here when its first deployment or run is created.
          </p>
          <Snippet label="Create one through the API">{`curl -X POST ${await requestBaseUrl()}/api/trpc/flows.create \\
  -H 'content-type: application/json' \\
  -d '{"name": "hello"}'`}</Snippet>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Flows">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="numeric">
                    Deployments
                  </th>
                  <th scope="col">Last run</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((flow) => (
                  <tr key={flow.id} data-testid="flow-row">
                    <td>
                      <div className="cell-main">{flow.name}</div>
                      {flow.description ? <div className="cell-sub">{flow.description}</div> : null}
                      {flow.tags.length ? (
                        <div className="tags">
                          {flow.tags.map((t) => (
                            <span key={t} className="tag">
                              {t}
                            </span>
                          ))}
                        </div>
                      ) : null}
                    </td>
                    <td className="numeric">{flow.deploymentCount}</td>
                    <td>
                      {flow.lastRunAt ? (
                        <Link href={`/runs?flow=${encodeURIComponent(flow.name)}`}>
                          <LocalTime iso={flow.lastRunAt} />
                        </Link>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td>
                      <LocalTime iso={flow.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <span>{cursor ? <Link href="/flows">← First page</Link> : null}</span>
            <span>
              {page.nextCursor ? (
                <Link className="button" href={`/flows?cursor=${encodeURIComponent(page.nextCursor)}`}>
                  More flows →
                </Link>
              ) : null}
            </span>
          </nav>
        </>
      )}
    </>
  );
}
