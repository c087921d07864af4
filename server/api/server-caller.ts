/**
 * The API as React Server Components see it: the same procedures as over HTTP (validation,
 * errors and output shapes included), called in-process against the runtime's database.
 */
import "server-only";
import { headers } from "next/headers";
import { getAuthSettings, getRuntime } from "../runtime";
import { createCaller } from "./root";
import { createContext } from "./trpc";

export type ServerCaller = ReturnType<typeof createCaller>;

/**
 * A caller for this request, as the browser: its session cookie and workspace header (or the
 * `baton-workspace` cookie the workspace switcher sets) decide who it is and where.
 */
export async function serverCaller(): Promise<ServerCaller> {
  const { database, engine } = await getRuntime();
  return createCaller(createContext({ db: database.db, headers: new Headers(await headers()), engine, auth: await getAuthSettings() }));
}
