/** Output types of Baton's API, for pages and components (types only: nothing loads the server). */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type FlowRun = RouterOutputs["flowRuns"]["get"];
export type Deployment = RouterOutputs["deployments"]["get"];
export type WorkPool = RouterOutputs["workPools"]["get"];
export type StateType = FlowRun["stateType"];

export const STATE_TYPES = [
  "SCHEDULED",
  "PENDING",
  "RUNNING",
  "PAUSED",
  "CANCELLING",
  "CANCELLED",
  "COMPLETED",
  "FAILED",
  "CRASHED",
] as const satisfies readonly StateType[];
