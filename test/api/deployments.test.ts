import { describe, expect, it } from "vitest";
import { expectTrpcError, useTestApi } from "../helpers/api";

const countSchema = {
  type: "object",
  properties: { count: { type: "integer" }, name: { type: "string" } },
  required: ["name"],
};

describe("deployments", () => {
  const api = useTestApi();

  it("creates a deployment, making its flow, with schedules and the pool's default queue", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "dep-pool", type: "node" });
    const dep = await caller.deployments.create({
      flow: "etl",
      name: "nightly",
      version: "1.0",
      entrypoint: "flows/etl.ts:etl",
      parameters: { count: 3 },
      parameterSchema: countSchema,
      workPool: "dep-pool",
      tags: ["etl", "etl", "nightly"],
      schedules: [
        { cron: "0 2 * * *", timezone: "Europe/Paris" },
        { intervalSeconds: 3600, anchorDate: "2026-01-01T00:00:00Z", active: false },
      ],
    });
    expect(dep).toMatchObject({
      name: "nightly",
      flowName: "etl",
      workPoolName: "dep-pool",
      workQueueName: "default",
      enforceParameterSchema: true,
      paused: false,
      tags: ["etl", "nightly"],
      parameters: { count: 3 },
    });
    expect(dep.schedules).toEqual([
      expect.objectContaining({ cron: "0 2 * * *", intervalSeconds: null, timezone: "Europe/Paris", active: true }),
      expect.objectContaining({ cron: null, intervalSeconds: 3600, anchorDate: "2026-01-01T00:00:00.000Z", active: false }),
    ]);
    expect((await caller.flows.get({ flow: "etl" })).deploymentCount).toBe(1);
    expect((await caller.deployments.get({ deployment: dep.id })).name).toBe("nightly");
    expect((await caller.deployments.get({ deployment: "etl/nightly" })).id).toBe(dep.id);
    expect((await caller.deployments.get({ deployment: "nightly" })).id).toBe(dep.id);
  });

  it("a bad cron, timezone or schedule shape is BAD_REQUEST naming the field, and writes nothing", async () => {
    const caller = api.caller();
    const cron = await expectTrpcError(
      caller.deployments.create({ flow: "never-made", name: "d", schedules: [{ cron: "61 * * * *" }] }),
      "BAD_REQUEST",
      /schedules\.0\.cron: invalid cron expression/,
    );
    expect(cron.field).toBe("schedules.0.cron");
    // Six fields: the first would be seconds, so "0 8 * * * *" (meant: 08:00) fires hourly at :08. Refused unless meant.
    const six = await expectTrpcError(
      caller.deployments.create({ flow: "never-made", name: "d", schedules: [{ cron: "0 8 * * * *" }] }),
      "BAD_REQUEST",
      /schedules\.0\.cron: .*6 fields.*seconds/,
    );
    expect(six.field).toBe("schedules.0.cron");
    await caller.flows.create({ name: "six-fields" });
    const seconds = await caller.deployments.create({ flow: "six-fields", name: "d", schedules: [{ cron: "30 0 8 * * *", seconds: true }] });
    expect(seconds.schedules[0]!.cron).toBe("30 0 8 * * *");
    const tz = await expectTrpcError(
      caller.deployments.create({
        flow: "never-made",
        name: "d",
        schedules: [{ cron: "* * * * *" }, { intervalSeconds: 60, timezone: "Mars/Olympus" }],
      }),
      "BAD_REQUEST",
      /unknown timezone "Mars\/Olympus"/,
    );
    expect(tz.field).toBe("schedules.1.timezone");
    const both = await expectTrpcError(
      caller.deployments.create({ flow: "never-made", name: "d", schedules: [{ cron: "* * * * *", intervalSeconds: 5 }] }),
      "BAD_REQUEST",
      /not both/,
    );
    expect(both.field).toBe("schedules.0");
    await expectTrpcError(
      caller.deployments.create({ flow: "never-made", name: "d", schedules: [{ intervalSeconds: 0 }] }),
      "BAD_REQUEST",
      /intervalSeconds/,
    );
    await expectTrpcError(caller.flows.get({ flow: "never-made" }), "NOT_FOUND", /Flow "never-made" was not found/);
  });

  it("a failure after the flow was made (unknown pool) rolls the new flow back", async () => {
    const caller = api.caller();
    await expectTrpcError(
      caller.deployments.create({ flow: "rolled-back", name: "d", workPool: "no-such-pool" }),
      "NOT_FOUND",
      /Work pool "no-such-pool" was not found/,
    );
    await expectTrpcError(caller.flows.get({ flow: "rolled-back" }), "NOT_FOUND");
  });

  it("refuses an invalid parameter schema and defaults that break the schema", async () => {
    const caller = api.caller();
    const bad = await expectTrpcError(
      caller.deployments.create({ flow: "p", name: "bad-schema", parameterSchema: { type: "objekt" } }),
      "BAD_REQUEST",
      /parameterSchema: is not a valid JSON schema/,
    );
    expect(bad.field).toBe("parameterSchema");
    const defaults = await expectTrpcError(
      caller.deployments.create({ flow: "p", name: "bad-defaults", parameterSchema: countSchema, parameters: { count: "x" } }),
      "BAD_REQUEST",
      /parameters\.count: must be integer/,
    );
    expect(defaults.field).toBe("parameters.count");
    await expectTrpcError(caller.flows.get({ flow: "p" }), "NOT_FOUND");
  });

  it("refuses wrong types and unknown queues with clear errors", async () => {
    const client = api.client();
    await expectTrpcError(client.deployments.create.mutate({ flow: "t", name: 5 as never }), "BAD_REQUEST", /name/);
    await expectTrpcError(
      client.deployments.create.mutate({ flow: "t", name: "x", schedules: [{ cron: 5 as never }] }),
      "BAD_REQUEST",
      /schedules\.0\.cron/,
    );
    await expectTrpcError(
      client.deployments.create.mutate({ flow: "t", name: "x", workQueue: "fast" }),
      "BAD_REQUEST",
      /workQueue: a work queue needs a work pool/,
    );
    await client.workPools.create.mutate({ name: "q-pool", type: "process" });
    await expectTrpcError(
      client.deployments.create.mutate({ flow: "t", name: "x", workPool: "q-pool", workQueue: "nope" }),
      "NOT_FOUND",
      /Work queue "nope" in work pool "q-pool" was not found/,
    );
    await expectTrpcError(client.deployments.get.query({ deployment: "t/none" }), "NOT_FOUND", /Deployment "t\/none"/);
  });

  it("runs a deployment: defaults merged with overrides and checked, pool, queue and tags carried", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "run-pool", type: "node" });
    await caller.workQueues.create({ workPool: "run-pool", name: "fast", priority: 0 });
    await caller.deployments.create({
      flow: "runner",
      name: "main",
      parameters: { count: 1, name: "a" },
      parameterSchema: countSchema,
      workPool: "run-pool",
      workQueue: "fast",
      tags: ["team-a"],
    });
    const run = await caller.deployments.run({ deployment: "runner/main", parameters: { count: 7 }, tags: ["adhoc"] });
    expect(run).toMatchObject({
      flowName: "runner",
      deploymentName: "main",
      workPoolName: "run-pool",
      workQueueName: "fast",
      stateType: "SCHEDULED",
      stateName: "Scheduled",
      parameters: { count: 7, name: "a" },
      tags: ["team-a", "adhoc"],
    });
    expect(run.name).toMatch(/^[a-z]+-[a-z]+$/);
    const history = await caller.flowRuns.history({ id: run.id });
    expect(history).toEqual([expect.objectContaining({ fromType: null, toType: "SCHEDULED", toName: "Scheduled", actor: "user" })]);

    const err = await expectTrpcError(
      caller.deployments.run({ deployment: "runner/main", parameters: { count: 1.5 } }),
      "BAD_REQUEST",
      /^parameters\.count: must be integer$/,
    );
    expect(err.field).toBe("parameters.count");
  });

  it("requires what the schema requires at run time, unless the schema is not enforced", async () => {
    const caller = api.caller();
    await caller.deployments.create({ flow: "req", name: "strict", parameterSchema: countSchema });
    const err = await expectTrpcError(caller.deployments.run({ deployment: "req/strict" }), "BAD_REQUEST", /parameters\.name: is required/);
    expect(err.field).toBe("parameters.name");
    await caller.deployments.create({ flow: "req", name: "loose", parameterSchema: countSchema, enforceParameterSchema: false });
    const run = await caller.deployments.run({ deployment: "req/loose", parameters: { count: "many" } });
    expect(run.parameters).toEqual({ count: "many" });
    expect(run.workPoolId).toBeNull();
  });

  it("refuses to run a paused deployment and honours idempotency keys", async () => {
    const caller = api.caller();
    await caller.deployments.create({ flow: "idem", name: "d", paused: true });
    await expectTrpcError(caller.deployments.run({ deployment: "idem/d" }), "PRECONDITION_FAILED", /is paused/);
    await caller.deployments.update({ deployment: "idem/d", paused: false });
    const first = await caller.deployments.run({ deployment: "idem/d", idempotencyKey: "k1" });
    const again = await caller.deployments.run({ deployment: "idem/d", idempotencyKey: "k1" });
    expect(again.id).toBe(first.id);
    const other = await caller.deployments.run({ deployment: "idem/d", idempotencyKey: "k2", scheduledTime: "2030-01-01T00:00:00Z" });
    expect(other.id).not.toBe(first.id);
    expect(other.scheduledTime).toBe("2030-01-01T00:00:00.000Z");
  });

  it("updates fields, replaces schedules, clears the pool, and keeps everything on a refused update", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "upd-pool", type: "node" });
    const dep = await caller.deployments.create({
      flow: "upd",
      name: "d",
      workPool: "upd-pool",
      schedules: [{ cron: "0 * * * *" }],
    });
    const updated = await caller.deployments.update({
      deployment: dep.id,
      description: "hourly → every five minutes",
      schedules: [{ cron: "*/5 * * * *", timezone: "America/New_York" }],
    });
    expect(updated.description).toBe("hourly → every five minutes");
    expect(updated.schedules.map((s) => s.cron)).toEqual(["*/5 * * * *"]);
    expect(updated.workPoolName).toBe("upd-pool");

    await expectTrpcError(
      caller.deployments.update({ deployment: dep.id, description: "nope", schedules: [{ cron: "every day" }] }),
      "BAD_REQUEST",
      /schedules\.0\.cron/,
    );
    await expectTrpcError(
      caller.deployments.update({ deployment: dep.id, parameterSchema: { type: 12 } }),
      "BAD_REQUEST",
      /parameterSchema/,
    );
    const unchanged = await caller.deployments.get({ deployment: dep.id });
    expect(unchanged.description).toBe("hourly → every five minutes");
    expect(unchanged.schedules.map((s) => s.cron)).toEqual(["*/5 * * * *"]);

    const cleared = await caller.deployments.update({ deployment: dep.id, workPool: null, schedules: [], name: "renamed" });
    expect(cleared).toMatchObject({ name: "renamed", workPoolId: null, workQueueId: null, schedules: [] });
    await caller.deployments.create({ flow: "upd", name: "taken" });
    await expectTrpcError(caller.deployments.update({ deployment: "upd/renamed", name: "taken" }), "CONFLICT", /already has a deployment/);
  });

  it("job variables: stored on create, replaced on update, checked strictly, and handed out with claimed runs", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "jv-pool", type: "process", baseJobTemplate: { command: ["python3", "train.py"] } });
    const dep = await caller.deployments.create({
      flow: "jv",
      name: "eval",
      workPool: "jv-pool",
      jobVariables: { command: ["python3", "eval.py"], env: { SPLIT: "test" }, workingDir: "ml" },
    });
    expect(dep.jobVariables).toEqual({ command: ["python3", "eval.py"], env: { SPLIT: "test" }, workingDir: "ml" });
    expect((await caller.deployments.create({ flow: "jv", name: "plain" })).jobVariables).toEqual({});

    const updated = await caller.deployments.update({ deployment: "jv/eval", jobVariables: { env: { SPLIT: "val" } } });
    expect(updated.jobVariables).toEqual({ env: { SPLIT: "val" } });
    // Other updates leave them alone.
    expect((await caller.deployments.update({ deployment: "jv/eval", description: "x" })).jobVariables).toEqual({ env: { SPLIT: "val" } });

    const unknown = await expectTrpcError(
      caller.deployments.create({ flow: "jv", name: "typo", jobVariables: { comand: ["x"] } as never }),
      "BAD_REQUEST",
      /unknown job variable "comand"/,
    );
    expect(unknown.field).toBe("jobVariables");
    const emptyCommand = await expectTrpcError(
      caller.deployments.update({ deployment: "jv/eval", jobVariables: { command: [] } }),
      "BAD_REQUEST",
      /must name a program/,
    );
    expect(emptyCommand.field).toBe("jobVariables.command");
    const badEnv = await expectTrpcError(
      caller.deployments.update({ deployment: "jv/eval", jobVariables: { env: { N: 1 } } as never }),
      "BAD_REQUEST",
    );
    expect(badEnv.field).toMatch(/^jobVariables\.env/);
    await expectTrpcError(caller.deployments.get({ deployment: "jv/typo" }), "NOT_FOUND");
    expect((await caller.deployments.get({ deployment: "jv/eval" })).jobVariables).toEqual({ env: { SPLIT: "val" } });

    // A worker claiming the run gets the deployment's job variables; a run without one gets {}.
    const run = await caller.deployments.run({ deployment: "jv/eval" });
    const bare = await caller.flowRuns.create({ flow: "jv", workPool: "jv-pool" });
    const { workerId } = await caller.workers.register({ workPool: "jv-pool", name: "jv-w", capabilities: {} });
    const claimed = await caller.workers.claim({ workerId, max: 5 });
    expect(Object.fromEntries(claimed.map((c) => [c.id, c.jobVariables]))).toEqual({ [run.id]: { env: { SPLIT: "val" } }, [bare.id]: {} });
  });

  it("lists with filters, asks for flow/name when a bare name is ambiguous, and deletes", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "list-pool", type: "browser" });
    await caller.deployments.create({ flow: "list-a", name: "same", workPool: "list-pool" });
    await caller.deployments.create({ flow: "list-b", name: "same", paused: true });
    expect((await caller.deployments.list({ flow: "list-a" })).map((d) => d.flowName)).toEqual(["list-a"]);
    expect((await caller.deployments.list({ workPool: "list-pool" })).map((d) => d.flowName)).toEqual(["list-a"]);
    expect((await caller.deployments.list({ paused: true })).map((d) => d.flowName)).toContain("list-b");
    await expectTrpcError(caller.deployments.list({ flow: "list-zzz" }), "NOT_FOUND", /Flow "list-zzz"/);
    await expectTrpcError(caller.deployments.get({ deployment: "same" }), "BAD_REQUEST", /flow-name\/same/);

    const run = await caller.deployments.run({ deployment: "list-a/same" });
    await caller.deployments.delete({ deployment: "list-a/same" });
    await expectTrpcError(caller.deployments.get({ deployment: "list-a/same" }), "NOT_FOUND");
    // Runs outlive their deployment.
    expect((await caller.flowRuns.get({ id: run.id })).deploymentId).toBeNull();
  });
});
