/**
 * Baton's TypeScript SDK: flows and tasks in Prefect's shape.
 *
 *   import { flow, task, getRunLogger } from "baton/sdk";
 *   const sayHello = task("say_hello", async (name: string) => `Hello, ${name}!`);
 *   export const hello = flow({ name: "hello", parameters: z.object({ name: z.string() }) }, async ({ name }) => sayHello(name));
 */
export { flow, isFlow, executeFlow, FLOW, type Flow, type FlowDefinition, type FlowOptions } from "./flow";
export { task, TASK, type Task, type TaskOptions } from "./task";
export { currentRun, getRunLogger, log, metric, type LogLevel, type RunContext } from "./context";
export { parameterSchemaOf } from "./schema";
export type { Requirements, RunOptions } from "./policy";
