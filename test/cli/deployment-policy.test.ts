/**
 * `baton deploy` sends the flow's run policy as the deployment's `policy` (no longer inside the
 * parameter schema), and `baton deployment delete` says how many waiting runs it withdrew.
 */
import { describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { useHttpApiServer } from "../helpers/http-api-server";
import { runCli, show } from "./run-cli";

const api = useHttpApiServer();
const baton = (...args: string[]) => runCli(args, { BATON_API_URL: api.apiUrl, BATON_WORKSPACE: undefined });

describe("baton deploy and baton deployment delete", () => {
  it("deploys a flow's retries and requirements as its policy, then deletes it, withdrawing its waiting runs", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "cli-policy-pool", type: "node" });
    const [slow, gpu] = await Promise.all([
      baton("deploy", "test/worker/fixtures/flows.ts:slow", "-n", "retried", "-p", "cli-policy-pool"),
      baton("deploy", "test/worker/fixtures/flows.ts:needsGpu", "-n", "on-gpu", "-p", "cli-policy-pool"),
    ]);
    expect(slow.code, show(slow)).toBe(0);
    expect(gpu.code, show(gpu)).toBe(0);
    const retried = await client.deployments.get.query({ deployment: "slow/retried" });
    expect(retried.policy).toEqual({ maxRetries: 1 });
    expect(retried.parameterSchema).not.toHaveProperty("x-baton");
    expect((await client.deployments.get.query({ deployment: "needs-gpu/on-gpu" })).policy).toEqual({ requirements: { gpu: true } });

    const run = await client.deployments.run.mutate({ deployment: "slow/retried", parameters: { marker: "m", seconds: 1 } });
    expect(run.maxRetries).toBe(1);
    await client.deployments.run.mutate({ deployment: "slow/retried", parameters: { marker: "n", seconds: 1 }, scheduledTime: "2099-01-01T00:00:00Z" });

    const [inspect, deleted] = [await baton("deployment", "inspect", "slow/retried"), await baton("deployment", "delete", "slow/retried")];
    expect(inspect.stdout, show(inspect)).toMatch(/Run policy[^\n]*\n\s+\{\s+"maxRetries": 1\s+\}/);
    expect(deleted.code, show(deleted)).toBe(0);
    expect(deleted.stdout).toMatch(/Deleted deployment slow\/retried; withdrew 2 scheduled runs \(now CANCELLED\)\./);
    expect((await client.flowRuns.get.query({ id: run.id })).stateType).toBe("CANCELLED");
  });
});
