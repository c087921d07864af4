/**
 * `flow()`: a named unit of workflow logic, in Prefect's shape. A worker runs a deployed flow
 * through `executeFlow` (the flow run exists and the worker holds its lease). Calling a flow
 * from inside a flow run makes a subflow: a child flow run with `parentFlowRunId`, run here and
 * now, every write about it carrying the top-level run's lease. Called at the top level with
 * BATON_API_URL set, a flow records a flow run of its own — or, inside a process job that was
 * handed its run's lease (BATON_FLOW_RUN_ID, BATON_LEASE_TOKEN), a subflow of that run under its
 * lease; without BATON_API_URL it is a plain function call.
 */
import type { z } from "zod";
import { createBatonClient, type BatonClient } from "../server/client";
import { currentRun, withRun, type RunContext, type RunSink } from "./context";
import { LogShipper } from "./log-shipper";
import { errorMessage, type RunOptions } from "./policy";
import { resultRef, type ResultRef } from "./results";

export interface FlowOptions<S extends z.ZodType | undefined> extends RunOptions {
  /** The parameters, validated on every run; `baton deploy` derives the deployment's JSON schema from it. */
  parameters?: S;
}

type ParamsOf<S> = S extends z.ZodType ? z.input<S> : Record<string, unknown>;
type ParsedOf<S> = S extends z.ZodType ? z.output<S> : Record<string, unknown>;

export interface FlowDefinition {
  name: string;
  options: FlowOptions<z.ZodType | undefined>;
  parse(params: unknown): Record<string, unknown>;
  body(params: Record<string, unknown>): Promise<unknown>;
}

export const FLOW = Symbol.for("baton.flow");

export type Flow<S, R> = ((params?: ParamsOf<S>) => Promise<R>) & { readonly [FLOW]: FlowDefinition };

export function flow<S extends z.ZodType | undefined = undefined, R = unknown>(
  options: (FlowOptions<S> & { name: string }) | string,
  fn: (params: ParsedOf<S>) => R | Promise<R>,
): Flow<S, R> {
  const opts: FlowOptions<S> & { name: string } = typeof options === "string" ? { name: options } : options;
  const definition: FlowDefinition = {
    name: opts.name,
    options: opts,
    parse: (params) => (opts.parameters ? (opts.parameters.parse(params ?? {}) as Record<string, unknown>) : { ...(params as object) }),
    body: async (params) => fn(params as ParsedOf<S>),
  };
  const call = async (params?: ParamsOf<S>): Promise<R> => {
    const parent = currentRun();
    if (parent) return (await runChildFlow(definition, params ?? {}, { ...parent, parentFlowRunId: parent.flowRunId })) as R;
    if (process.env.BATON_API_URL) return (await runTopLevel(definition, params ?? {})) as R;
    return (await definition.body(definition.parse(params ?? {}))) as R;
  };
  return Object.assign(call, { [FLOW]: definition });
}

export function isFlow(value: unknown): value is Flow<unknown, unknown> {
  return typeof value === "function" && FLOW in value;
}

/**
 * Runs a flow's body for an existing flow run (the worker's path). Returns the result's id; the
 * caller reports the final state with its lease token.
 */
export async function executeFlow(definition: FlowDefinition, ctx: RunContext, rawParams: unknown): Promise<{ value: unknown } & ResultRef> {
  const params = definition.parse(rawParams);
  const value = await withRun(ctx, () => definition.body(params));
  return { value, ...(await resultRef(ctx.client, value, ctx.flowRunId, ctx.leaseToken)) };
}

/** Where a child flow run is made and what it inherits: its parent's client, sink, lease, signal. */
interface ChildOf {
  client: BatonClient;
  sink: RunSink;
  parentFlowRunId?: string;
  /** The top-level run's lease (the parent's), carried by every write about the child. */
  leaseToken?: string;
  signal?: AbortSignal;
  capabilities?: Record<string, unknown>;
}

/** A child flow run: created under the parent, run here and now, its states reported as it goes. */
async function runChildFlow(definition: FlowDefinition, params: unknown, parent: ChildOf): Promise<unknown> {
  const { client, leaseToken } = parent;
  const parsed = definition.parse(params);
  const run = await client.flowRuns.create.mutate({
    flow: definition.name,
    createFlow: true,
    parentFlowRunId: parent.parentFlowRunId,
    parentLeaseToken: parent.parentFlowRunId ? leaseToken : undefined,
    parameters: JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>,
    tags: definition.options.tags,
    timeoutSeconds: definition.options.timeoutSeconds,
  });
  // The subflow holds no lease of its own: its states are checked against the top-level run's.
  const lease = parent.parentFlowRunId ? leaseToken : undefined;
  await client.flowRuns.setState.mutate({ id: run.id, state: { type: "RUNNING" }, leaseToken: lease });
  const ctx: RunContext = {
    client,
    sink: parent.sink,
    flowRunId: run.id,
    leaseToken: lease,
    signal: parent.signal ?? new AbortController().signal,
    taskCounters: new Map(),
    capabilities: parent.capabilities,
  };
  try {
    const value = await withRun(ctx, () => definition.body(parsed));
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, leaseToken: lease, ...(await resultRef(client, value, run.id, lease)) });
    return value;
  } catch (err) {
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "FAILED", message: errorMessage(err) }, leaseToken: lease }).catch(() => {});
    throw err;
  }
}

async function runTopLevel(definition: FlowDefinition, params: unknown): Promise<unknown> {
  // BATON_API_URL, BATON_WORKSPACE and BATON_API_KEY from the environment, as a process job's
  // command gets them from its worker — with the job's run and lease, under which this flow is
  // that run's subflow (a worker key may make no run of its own).
  const client = createBatonClient();
  const parentFlowRunId = process.env.BATON_FLOW_RUN_ID || undefined;
  const leaseToken = parentFlowRunId ? process.env.BATON_LEASE_TOKEN || undefined : undefined;
  const shipper = new LogShipper(client, { leaseOf: () => leaseToken });
  try {
    return await runChildFlow(definition, params, { client, sink: shipper, parentFlowRunId, leaseToken });
  } finally {
    await shipper.flush();
  }
}
