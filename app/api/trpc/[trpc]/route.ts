/**
 * Baton's API over HTTP: every tRPC procedure at /api/trpc/<router>.<procedure>. The server's own
 * listener answers these before Next.js routes them (server/http-server.ts); this route serves
 * them under a bare `next dev` / `next start`. Both go through server/api/endpoint.ts.
 */
import { serveTrpc } from "@/server/api/endpoint";

export const dynamic = "force-dynamic";

export { serveTrpc as GET, serveTrpc as POST };
