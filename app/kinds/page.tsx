/**
 * Task kinds: the built-in steps (pdf, encode, cluster, train, infer) a `kind:<name>` deployment
 * runs, from the registry the server checks deployments against (kinds.list): what each does,
 * where it may run, its parameters with their types and defaults, and an example to copy.
 */
import type { Metadata } from "next";
import { Snippet } from "@/app/_components/empty-state";
import { compactJson } from "@/common/compact-json";
import { serverCaller } from "@/server/api/server-caller";
import "./kinds.css";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Task kinds" };

const RUNTIMES: Record<string, string> = { tab: "browser tab", node: "Node worker", gpu: "GPU worker" };

export default async function KindsPage() {
  const api = await serverCaller();
  const kinds = await api.kinds.list();

  return (
    <>
      <header className="page-header">
        <div>
          <h1>Task kinds</h1>
          <p>
            Built-in steps a deployment runs with the entrypoint <code>kind:&lt;name&gt;</code>, in a browser tab or on a Node or GPU
            worker. A deployment of a kind is checked against its parameters.
          </p>
        </div>
      </header>
      <ul className="kind-toc" aria-label="Kinds">
        {kinds.map((k) => (
          <li key={k.name}>
            <a className="tag" href={`#${k.name}`}>
              {k.name}
            </a>
          </li>
        ))}
      </ul>
      <div className="kind-list">
        {kinds.map((kind) => (
          <section key={kind.name} id={kind.name} className="panel kind-card" aria-labelledby={`kind-${kind.name}`} data-testid="kind">
            <h2 id={`kind-${kind.name}`}>
              {kind.name} <code>{kind.entrypoint}</code>
              <span className="tags" aria-label="Runs on">
                {kind.runsOn.map((r) => (
                  <span key={r} className="tag">
                    {RUNTIMES[r] ?? r}
                  </span>
                ))}
              </span>
            </h2>
            <p className="kind-summary">{kind.summary}</p>
            <p className="kind-description">{kind.description}</p>
            <div className="table-wrap">
              <table aria-label={`Parameters of ${kind.name}`}>
                <thead>
                  <tr>
                    <th scope="col">Parameter</th>
                    <th scope="col">Type</th>
                    <th scope="col">Default</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {kind.parameters.map((p) => (
                    <tr key={p.name}>
                      <td className="nowrap">
                        <code>{p.name}</code>
                        {p.required ? (
                          <>
                            {" "}
                            <span className="required">required</span>
                          </>
                        ) : null}
                      </td>
                      <td>{p.type}</td>
                      <td className="nowrap">{p.default === undefined ? "" : <code>{JSON.stringify(p.default)}</code>}</td>
                      <td>{p.description ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <details>
              <summary>Example and how to deploy it</summary>
              <Snippet label="Example parameters">{compactJson(kind.example)}</Snippet>
              <Snippet label="From the command line">{`baton kind inspect ${kind.name}
baton deploy ${kind.entrypoint} -n my-${kind.name} -p MY_POOL --param key=value`}</Snippet>
            </details>
          </section>
        ))}
      </div>
    </>
  );
}
