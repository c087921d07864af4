/**
 * The greeting flow as a Baton flow: two tasks, `say_hello` and `say_name`, each call a task
 * run with its own state and result. Deploy it with a daily 08:00 schedule in Phnom Penh:
 *
 *   baton work-pool create local --type node
 *   baton deploy examples/hello.ts:hello -n daily -p local --cron "0 8 * * *" --timezone Asia/Phnom_Penh --param name=Baton
 *   baton worker start -p local
 *   baton deployment run hello/daily -p name=Ada     # or wait for 08:00
 *
 * Run it directly with `npx tsx examples/hello.ts` (recorded as a flow run when BATON_API_URL is set).
 */
import { z } from "zod";
import { flow, getRunLogger, task } from "../sdk";

export const sayHello = task({ name: "say_hello", retries: 2, retryDelaySeconds: 1 }, async () => {
  getRunLogger().info("Hello!");
  return "Hello!";
});

export const sayName = task("say_name", async (name: string) => {
  getRunLogger().info(`Hello, ${name}!`);
  return `Hello, ${name}!`;
});

export const hello = flow(
  { name: "hello", description: "Greets someone, every morning", parameters: z.object({ name: z.string().min(1).default("world") }) },
  async ({ name }) => {
    const greeting = await sayHello();
    const named = await sayName(name);
    return { greeting, named };
  },
);

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await hello({ name: process.argv[2] ?? "world" }));
}
