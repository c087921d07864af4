/**
 * better-auth's endpoints (sign-up, sign-in, sign-out, session) at /api/auth/*; its organization endpoints are off (server/auth/better-auth.ts).
 * With auth off there is nobody to sign in: every request is answered 404 with the reason.
 */
import { authFor } from "@/server/auth/identity";
import { getAuthSettings, getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

async function handler(req: Request): Promise<Response> {
  const settings = await getAuthSettings();
  if (!settings.enabled) {
    return Response.json({ error: "auth is off on this server (single user on loopback): there is nothing to sign in to" }, { status: 404 });
  }
  const { database } = await getRuntime();
  return authFor(database.db, settings).handler(req);
}

export { handler as GET, handler as POST };
