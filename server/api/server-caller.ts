/**
 * The API as React Server Components see it: the same procedures as over HTTP (validation,
 * errors and output shapes included), called in-process against the runtime's database.
 */
import "server-only";
import { headers } from "next/headers";
import { getRuntime } from "../runtime";
import { createCaller } from "./root";
import { createContext } from "./trpc";

export type ServerCaller = ReturnType<typeof createCaller>;

/** A caller for this request: the browser's workspace header, if any, is honoured. */
export async function serverCaller(): Promise<ServerCaller> {
  const { database, engine } = await getRuntime();
  return createCaller(createContext({ db: database.db, headers: await headers(), engine }));
}
