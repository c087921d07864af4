/** The URL the reader used to reach this server, for copy-paste commands in empty states. */
import "server-only";
import { headers } from "next/headers";

export async function requestBaseUrl(): Promise<string> {
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost:4200";
  const proto = h.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
