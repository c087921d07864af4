/** One deployment for its pages, by id or name; a missing or malformed one is the not-found page. */
import "server-only";
import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";
import { cache } from "react";
import { serverCaller } from "@/server/api/server-caller";

export const loadDeployment = cache(async (ref: string) => {
  const api = await serverCaller();
  try {
    return { api, deployment: await api.deployments.get({ deployment: decodeURIComponent(ref) }) };
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  }
});

/** The pools a deployment may go to, with their queues' names, for the form's choices. */
export async function poolChoices(api: Awaited<ReturnType<typeof serverCaller>>) {
  const pools = await api.workPools.list();
  const queues = await Promise.all(pools.map((p) => api.workQueues.list({ workPool: p.id })));
  return pools.map((p, i) => ({
    name: p.name,
    type: p.type,
    queues: [...(queues[i] ?? [])].sort((a, b) => a.priority - b.priority).map((q) => q.name),
  }));
}
