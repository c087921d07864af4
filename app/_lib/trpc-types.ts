/** Output types of Baton's API, for pages and components (types only: nothing loads the server). */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type FlowRun = RouterOutputs["flowRuns"]["get"];
export type Deployment = RouterOutputs["deployments"]["get"];
export type WorkPool = RouterOutputs["workPools"]["get"];
export type StateType = FlowRun["stateType"];

// One list for the server, the CLI and the pages (a module with no dependencies, safe in the browser).
export { STATE_TYPES } from "@/server/engine/state-types";
