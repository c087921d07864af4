/**
 * `flow()`: a named unit of workflow logic, in Prefect's shape. A worker runs a deployed flow
 * through `executeFlow` (the flow run exists and the worker holds its lease). Calling a flow
 * from inside a flow run makes a subflow: a child flow run with `parentFlowRunId`. Called at the
 * top level with BATON_API_URL set, a flow records a flow run of its own; without it, it is a
 * plain function call.
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
    if (parent) return (await runChildFlow(definition, params ?? {}, parent)) as R;
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
  return { value, ...(await resultRef(ctx.client, value, ctx.flowRunId)) };
}

/** A child flow run: created under the parent, run here and now, its states reported as it goes. */
async function runChildFlow(definition: FlowDefinition, params: unknown, parent: RunContext | undefined, client = parent?.client, sink?: RunSink): Promise<unknown> {
  if (!client) throw new Error("no Baton client for this flow run");
  const parsed = definition.parse(params);
  const run = await client.flowRuns.create.mutate({
    flow: definition.name,
    createFlow: true,
    parentFlowRunId: parent?.flowRunId,
    parameters: JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>,
    tags: definition.options.tags,
    timeoutSeconds: definition.options.timeoutSeconds,
  });
  await client.flowRuns.setState.mutate({ id: run.id, state: { type: "RUNNING" } });
  const ctx: RunContext = {
    client,
    sink: sink ?? parent!.sink,
    flowRunId: run.id,
    signal: parent?.signal ?? new AbortController().signal,
    taskCounters: new Map(),
    capabilities: parent?.capabilities,
  };
  try {
    const value = await withRun(ctx, () => definition.body(parsed));
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "COMPLETED" }, ...(await resultRef(client, value, run.id)) });
    return value;
  } catch (err) {
    await client.flowRuns.setState.mutate({ id: run.id, state: { type: "FAILED", message: errorMessage(err) } }).catch(() => {});
    throw err;
  }
}

async function runTopLevel(definition: FlowDefinition, params: unknown): Promise<unknown> {
  // BATON_API_URL, BATON_WORKSPACE and BATON_API_KEY from the environment, as a process job's
  // command gets them from its worker.
  const client = createBatonClient();
  const shipper = new LogShipper(client);
  try {
    return await runChildFlow(definition, params, undefined, client, shipper);
  } finally {
    await shipper.flush();
  }
}
