/**
 * Runs once per vitest project that touches the database. For the real-Postgres projects it
 * builds a migrated template database; for Neon it also starts the WebSocket-to-TCP proxy.
 */
import type { TestProject } from "vitest/node";
import { createTemplate, dropDatabasesWithPrefix } from "./helpers/postgres";
import { startWsProxy, type WsProxy } from "./helpers/ws-proxy";

export type TestDbMode = "pglite" | "pg" | "neon";

declare module "vitest" {
  export interface ProvidedContext {
    dbMode: TestDbMode;
    pgTemplate: string;
    neonProxyPort: number;
  }
}

export default async function setup(project: TestProject) {
  const mode = (project.config.env?.BATON_TEST_DB ?? "pglite") as TestDbMode;
  project.provide("dbMode", mode);
  let proxy: WsProxy | undefined;
  if (mode !== "pglite") {
    const template = `baton_tpl_${mode}`;
    await dropDatabasesWithPrefix(`baton_t_${mode}_`);
    await createTemplate(template);
    project.provide("pgTemplate", template);
  }
  if (mode === "neon") {
    proxy = await startWsProxy();
    project.provide("neonProxyPort", proxy.port);
  }
  return async () => {
    await proxy?.close();
    if (mode !== "pglite") await dropDatabasesWithPrefix(`baton_t_${mode}_`);
  };
}
