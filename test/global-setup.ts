/**
 * Runs once per vitest project that touches the database. For the real-Postgres projects it
 * builds a migrated template database; for Neon it also starts the WebSocket-to-TCP proxy.
 */
import type { TestProject } from "vitest/node";
import { createTemplate, dropDatabasesWithPrefix, dropOrphanedTestDatabases } from "./helpers/postgres";
import { startWsProxy, type WsProxy } from "./helpers/ws-proxy";

export type TestDbMode = "pglite" | "pg" | "neon";

declare module "vitest" {
  export interface ProvidedContext {
    dbMode: TestDbMode;
    pgTemplate: string;
    /** Prefix for this project's per-file databases: unique per project and vitest process. */
    pgPrefix: string;
    neonProxyPort: number;
  }
}

export default async function setup(project: TestProject) {
  const mode = (project.config.env?.BATON_TEST_DB ?? "pglite") as TestDbMode;
  project.provide("dbMode", mode);
  let proxy: WsProxy | undefined;
  // Several projects (and several vitest processes on a developer's machine) share one server:
  // every name carries the project and the process id, and only orphans of dead processes are swept.
  const tag = `${project.name.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${process.pid}`;
  const prefix = `baton_t_${tag}_`;
  if (mode !== "pglite") {
    await dropOrphanedTestDatabases();
    const template = `baton_tpl_${tag}`;
    await createTemplate(template);
    project.provide("pgTemplate", template);
    project.provide("pgPrefix", prefix);
  }
  if (mode === "neon") {
    proxy = await startWsProxy();
    project.provide("neonProxyPort", proxy.port);
  }
  return async () => {
    await proxy?.close();
    if (mode !== "pglite") {
      await dropDatabasesWithPrefix(prefix);
      await dropDatabasesWithPrefix(`baton_tpl_${tag}`);
    }
  };
}
