/**
 * The `baton` CLI end to end: a real HTTP API over a test database in this process, the real
 * CLI in child processes. Each spawn costs about half a second, so each test batches its calls.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { useHttpApiServer } from "../helpers/http-api-server";
import { runCli, show } from "./run-cli";

const api = useHttpApiServer();
const baton = (...args: string[]) => runCli(args, { BATON_API_URL: api.apiUrl, BATON_WORKSPACE: undefined });

describe("baton on an empty workspace", () => {
  it("says how to begin when there is nothing to list", async () => {
    const [pools, flows, deployments, runs] = await Promise.all([
      baton("work-pool", "ls"),
      baton("flow", "ls"),
      baton("deployment", "ls"),
      baton("flow-run", "ls"),
    ]);
    expect(pools.stdout.trim(), show(pools)).toBe(
      "No work pools yet. Create one with: baton work-pool create my-pool --type node",
    );
    expect(flows.stdout, show(flows)).toMatch(/^No flows yet\./);
    expect(deployments.stdout, show(deployments)).toMatch(/^No deployments yet\./);
    expect(runs.stdout.trim(), show(runs)).toBe("No flow runs yet. Start one with: baton deployment run FLOW/DEPLOYMENT");
  });
});

describe("baton work-pool and work-queue", () => {
  it("creates, lists, inspects, pauses and resumes pools and queues", async () => {
    const created = await baton("work-pool", "create", "gpu", "--type", "node", "--concurrency-limit", "4");
    expect(created.code, show(created)).toBe(0);
    expect(created.stdout).toContain("Created work pool 'gpu' (type node)");

    const queue = await baton("work-queue", "create", "urgent", "--pool", "gpu", "--priority", "0", "--concurrency-limit", "2");
    expect(queue.code, show(queue)).toBe(0);
    expect(queue.stdout).toContain("Created work queue 'urgent' in pool 'gpu' (priority 0)");

    const [ls, lsJson, inspect, queues, paused] = await Promise.all([
      baton("work-pool", "ls"),
      baton("work-pool", "ls", "--json"),
      baton("work-pool", "inspect", "gpu"),
      baton("work-queue", "ls", "--pool", "gpu"),
      baton("work-pool", "pause", "gpu"),
    ]);
    expect(ls.code, show(ls)).toBe(0);
    const [header, row] = ls.stdout.split("\n");
    expect(header).toMatch(/^NAME\s+TYPE\s+CONCURRENCY\s+STATUS\s+CREATED\s+ID$/);
    expect(row).toMatch(/^gpu\s+node\s+4\s+(ready|paused)\s+(just now|a few seconds ago)\s+[0-9a-f-]{36}$/);
    // Columns line up: every value starts where its header does.
    expect(row!.indexOf("node")).toBe(header!.indexOf("TYPE"));

    expect(JSON.parse(lsJson.stdout)).toEqual([expect.objectContaining({ name: "gpu", type: "node", concurrencyLimit: 4 })]);

    expect(inspect.code, show(inspect)).toBe(0);
    expect(inspect.stdout).toMatch(/Name:\s+gpu/);
    expect(inspect.stdout).toMatch(/Concurrency limit:\s+4/);
    expect(inspect.stdout).toMatch(/^Queues$/m);
    expect(inspect.stdout).toMatch(/^default\s/m);
    expect(inspect.stdout).toMatch(/^urgent\s+0\s+2\s+ready/m);

    expect(queues.code, show(queues)).toBe(0);
    expect(queues.stdout).toMatch(/^urgent\s+0\s+2\s+ready/m);
    expect(queues.stdout).toMatch(/^default\s/m);

    expect(paused.stdout).toContain("Work pool 'gpu' is paused.");
    const resumed = await baton("work-pool", "resume", "gpu");
    expect(resumed.stdout).toContain("Work pool 'gpu' is resumed.");
  });

  it("fails clearly on an unknown pool, bad options and duplicates", async () => {
    await baton("work-pool", "create", "dup", "--type", "process");
    const [unknown, badType, duplicate, unknownQueuePool, badLimit] = await Promise.all([
      baton("work-pool", "inspect", "nope"),
      baton("work-pool", "create", "k8s", "--type", "kubernetes"),
      baton("work-pool", "create", "dup", "--type", "node"),
      baton("work-queue", "ls", "--pool", "nope"),
      baton("work-pool", "create", "x", "--type", "node", "--concurrency-limit", "-3"),
    ]);
    expect(unknown.code, show(unknown)).toBe(1);
    expect(unknown.stderr.trim()).toBe('Error: Work pool "nope" was not found');
    expect(unknown.stdout).toBe("");

    expect(badType.code).toBe(1);
    expect(badType.stderr).toMatch(/--type.*kubernetes.*browser, node, process/s);

    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain("a work pool with this name already exists");

    expect(unknownQueuePool.code).toBe(1);
    expect(unknownQueuePool.stderr).toContain('Work pool "nope" was not found');

    expect(badLimit.code).toBe(1);
    expect(badLimit.stderr).toMatch(/--concurrency-limit/);
  });
});

describe("baton deployment, flow and flow-run", () => {
  it("lists, inspects and runs a deployment with parameters, then lists, inspects and cancels its runs", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "cpu", type: "node" });
    await client.deployments.create.mutate({
      flow: "etl",
      name: "nightly",
      workPool: "cpu",
      parameters: { count: 1, label: "x" },
      parameterSchema: {
        type: "object",
        properties: { count: { type: "integer" }, label: { type: "string" }, opts: { type: "object" } },
      },
      enforceParameterSchema: true,
      jobVariables: { env: { LOG_LEVEL: "debug" } },
      tags: ["etl"],
    });

    const [flows, deployments, inspect, run, badParam, badStartIn] = await Promise.all([
      baton("flow", "ls"),
      baton("deployment", "ls"),
      baton("deployment", "inspect", "etl/nightly"),
      baton(
        "deployment", "run", "etl/nightly",
        "--param", "count=3", "-p", "label=Ada Lovelace", "-p", 'opts={"deep":true}',
        "--tag", "manual", "--start-in", "10 minutes", "--idempotency-key", "k-1",
      ),
      baton("deployment", "run", "etl/nightly", "--param", "count=many"),
      baton("deployment", "run", "etl/nightly", "--start-in", "soonish"),
    ]);

    expect(flows.code, show(flows)).toBe(0);
    expect(flows.stdout).toMatch(/^etl\s+1\s/m);

    expect(deployments.code, show(deployments)).toBe(0);
    expect(deployments.stdout).toMatch(/^etl\/nightly\s+cpu\s+default\s+-\s+ready/m);

    expect(inspect.code, show(inspect)).toBe(0);
    expect(inspect.stdout).toMatch(/Name:\s+etl\/nightly/);
    expect(inspect.stdout).toMatch(/Work pool:\s+cpu/);
    expect(inspect.stdout).toContain('"count": 1');
    expect(inspect.stdout).toMatch(/^Job variables/m);
    expect(inspect.stdout).toContain('"LOG_LEVEL": "debug"');

    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toMatch(/Created flow run '[^']+' for deployment etl\/nightly\./);
    expect(run.stdout).toMatch(/State:\s+Scheduled/);
    expect(run.stdout).toMatch(/Scheduled:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in (9|10) minutes\)/);
    expect(run.stdout).toContain('"count":3');
    expect(run.stdout).toContain('"label":"Ada Lovelace"');
    expect(run.stdout).toContain('"opts":{"deep":true}');
    const id = /ID:\s+([0-9a-f-]{36})/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toMatch(new RegExp(`URL:\\s+${api.apiUrl.replace(/\/api$/, "")}/runs/${id}$`, "m"));

    expect(badParam.code, show(badParam)).toBe(1);
    expect(badParam.stderr).toMatch(/^Error: .*parameters\.count/);
    expect(badStartIn.code).toBe(1);
    expect(badStartIn.stderr).toContain('--start-in must be a duration such as "10 minutes"');

    const [again, runs, scheduledOnly, completedOnly, runInspect] = await Promise.all([
      baton("deployment", "run", "etl/nightly", "--idempotency-key", "k-1", "--json"),
      baton("flow-run", "ls"),
      baton("flow-run", "ls", "--state", "scheduled", "--flow", "etl", "--limit", "5", "--json"),
      baton("flow-run", "ls", "--state", "COMPLETED,FAILED"),
      baton("flow-run", "inspect", id!),
    ]);
    // The idempotency key gives back the same run.
    expect(JSON.parse(again.stdout).id).toBe(id);
    expect(runs.code, show(runs)).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`^${id}\\s+\\S+\\s+etl\\s+nightly\\s+Scheduled\\s+in (9|10) minutes$`, "m"));
    expect(JSON.parse(scheduledOnly.stdout)).toEqual([expect.objectContaining({ id, stateType: "SCHEDULED" })]);
    expect(completedOnly.stdout.trim()).toBe("No flow runs match.");

    expect(runInspect.code, show(runInspect)).toBe(0);
    expect(runInspect.stdout).toMatch(/Flow:\s+etl/);
    expect(runInspect.stdout).toMatch(/Deployment:\s+nightly/);
    expect(runInspect.stdout).toMatch(/Tags:\s+.*manual/);
    expect(runInspect.stdout).toMatch(/Waiting:\s+not started: it is scheduled for /);
    expect(runInspect.stdout).toMatch(/^State history$/m);
    expect(runInspect.stdout).toMatch(/Scheduled/);

    const cancel = await baton("flow-run", "cancel", id!);
    expect(cancel.code, show(cancel)).toBe(0);
    expect(cancel.stdout).toMatch(/Flow run '[^']+' is Cancelled\./);

    const [cancelAgain, afterCancel, unknownRun, badState] = await Promise.all([
      baton("flow-run", "cancel", id!),
      baton("flow-run", "inspect", id!, "--json"),
      baton("flow-run", "inspect", "00000000-0000-4000-8000-00000000abcd"),
      baton("flow-run", "ls", "--state", "sleepy"),
    ]);
    expect(cancelAgain.code, show(cancelAgain)).toBe(1);
    expect(cancelAgain.stderr).toMatch(/^Error: /);
    const detail = JSON.parse(afterCancel.stdout);
    expect(detail.stateType).toBe("CANCELLED");
    expect(detail.history.map((h: { toType: string }) => h.toType)).toContain("CANCELLED");
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.stderr).toMatch(/not found/i);
    expect(badState.code).toBe(1);
    expect(badState.stderr).toContain('"SLEEPY" is not a state');
  });
});

describe("baton failing before any API call", () => {
  it("says when the server cannot be reached, and names a bad setting", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const [unreachable, badPort, badApiUrl, emptyPools] = await Promise.all([
      runCli(["work-pool", "ls"], { BATON_API_URL: `http://127.0.0.1:${closedPort}/api` }),
      runCli(["server", "start"], { PORT: "abc" }),
      runCli(["flow", "ls"], { BATON_API_URL: "localhost:4200" }),
      runCli(["work-pool", "ls"], { BATON_API_URL: api.apiUrl, BATON_WORKSPACE: "nowhere" }),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toBe(
      `Error: Cannot reach the Baton API at http://127.0.0.1:${closedPort}/api (connection refused). ` +
        "Is `baton server start` running? Set BATON_API_URL to point elsewhere.",
    );
    expect(badPort.code).toBe(1);
    expect(badPort.stderr.trim()).toBe('Error: Invalid configuration: PORT must be a number (got "abc")');
    expect(badApiUrl.code).toBe(1);
    expect(badApiUrl.stderr).toMatch(/BATON_API_URL must be an http:\/\/ or https:\/\/ URL/);
    expect(emptyPools.code).toBe(1);
    expect(emptyPools.stderr).toContain('Workspace "nowhere" was not found');
  });
});
