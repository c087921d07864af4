/**
 * `baton deployment pause|resume` and `baton work-queue update` against a real API: each says
 * what changed, the change is what the API then shows, and bad input is refused with a message
 * naming the option before anything is sent.
 */
import { describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { scheduleRuns } from "../../server/services/scheduler";
import { useHttpApiServer } from "../helpers/http-api-server";
import { serviceContext } from "../helpers/services";
import { runCli, show } from "./run-cli";

const api = useHttpApiServer();
const baton = (...args: string[]) => runCli(args, { BATON_API_URL: api.apiUrl, BATON_WORKSPACE: undefined });

describe("baton deployment pause and resume", () => {
  it("pauses: the schedule's upcoming runs are withdrawn, runs made by hand stay; resumes: it schedules and runs again", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "cli-pause-pool", type: "node" });
    await client.deployments.create.mutate({ flow: "etl", name: "hourly", workPool: "cli-pause-pool", schedules: [{ cron: "0 * * * *", timezone: "UTC" }] });
    const services = serviceContext(api.db);
    await scheduleRuns(services);
    const waiting = async () => (await client.flowRuns.list.query({ deployment: "etl/hourly", states: ["SCHEDULED"], limit: 500 })).items;
    const autoRuns = (await waiting()).filter((r) => r.tags.includes("auto-scheduled"));
    expect(autoRuns.length).toBeGreaterThan(1);
    const byHand = await client.deployments.run.mutate({ deployment: "etl/hourly", scheduledTime: "2099-01-01T00:00:00Z" });

    const paused = await baton("deployment", "pause", "etl/hourly");
    expect(paused.code, show(paused)).toBe(0);
    expect(paused.stdout.split("\n")).toEqual([
      "Paused deployment etl/hourly: its schedules make no runs and baton deployment run refuses it until it is resumed.",
      `  The scheduler withdraws the ${autoRuns.length} upcoming runs its schedules made, at its next pass.`,
      "  1 other run waiting to start stays queued (made by hand, retries, or already due): workers still run them.",
      "",
    ]);
    expect((await client.deployments.get.query({ deployment: "etl/hourly" })).paused).toBe(true);
    // What it said is what the scheduler does.
    await scheduleRuns(services);
    expect((await waiting()).map((r) => r.id)).toEqual([byHand.id]);

    const [again, refused, listed] = await Promise.all([
      baton("deployment", "pause", "etl/hourly"),
      baton("deployment", "run", "etl/hourly"),
      baton("deployment", "ls"),
    ]);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout.trim()).toBe("Deployment etl/hourly is already paused; nothing changed.");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('deployment "hourly" is paused; resume it to run it');
    expect(listed.stdout).toMatch(/^etl\/hourly\s.*\spaused\s/m);

    const deployment = await client.deployments.get.query({ deployment: "etl/hourly" });
    const resumed = await baton("deployment", "resume", deployment.id, "--json");
    expect(resumed.code, show(resumed)).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ id: deployment.id, paused: false });
    expect((await client.deployments.get.query({ deployment: "etl/hourly" })).paused).toBe(false);
    await scheduleRuns(services);
    expect((await waiting()).filter((r) => r.tags.includes("auto-scheduled")).length).toBeGreaterThan(0);

    // Words for a deployment without a schedule, and for an unknown one.
    await client.deployments.create.mutate({ flow: "etl", name: "adhoc", paused: true });
    const [plain, unknown] = await Promise.all([baton("deployment", "resume", "etl/adhoc"), baton("deployment", "pause", "etl/nope")]);
    expect(plain.stdout.trim()).toBe("Resumed deployment etl/adhoc: baton deployment run works again; it has no active schedule, so it makes no runs of its own.");
    const pausedAdhoc = await baton("deployment", "pause", "etl/adhoc");
    expect(pausedAdhoc.stdout.split("\n").slice(0, 2)).toEqual([
      "Paused deployment etl/adhoc: baton deployment run refuses it until it is resumed.",
      "  No runs of it are waiting to start.",
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toMatch(/^Error: Deployment "etl\/nope" was not found/);
  });
});

describe("baton work-queue update", () => {
  it("changes priority, limit, paused state and description, says what changed, and refuses bad input", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "cli-queues", type: "node" });
    await client.workQueues.create.mutate({ workPool: "cli-queues", name: "urgent", priority: 5, concurrencyLimit: 2 });

    const updated = await baton("work-queue", "update", "cli-queues", "urgent", "--priority", "0", "--concurrency-limit", "none", "--pause", "--description", "pager");
    expect(updated.code, show(updated)).toBe(0);
    expect(updated.stdout.trim()).toBe(
      "Updated work queue 'urgent' in pool 'cli-queues': priority 5 → 0, concurrency limit 2 → none, paused (workers claim nothing from it), description \"pager\".",
    );
    expect(await client.workQueues.get.query({ workPool: "cli-queues", workQueue: "urgent" })).toMatchObject({
      priority: 0,
      concurrencyLimit: null,
      paused: true,
      description: "pager",
    });

    const defaultPriority = (await client.workQueues.get.query({ workPool: "cli-queues", workQueue: "default" })).priority;
    const [limited, same] = await Promise.all([
      baton("work-queue", "update", "cli-queues", "urgent", "--concurrency-limit", "3", "--resume", "--description", ""),
      baton("work-queue", "update", "cli-queues", "default", "--priority", String(defaultPriority)),
    ]);
    const json = await baton("work-queue", "update", "cli-queues", "default", "--concurrency-limit", "0", "--json");
    expect(limited.stdout.trim(), show(limited)).toBe("Updated work queue 'urgent' in pool 'cli-queues': concurrency limit none → 3, resumed, description cleared.");
    expect(same.stdout.trim(), show(same)).toBe("Work queue 'default' in pool 'cli-queues' already had these settings; nothing changed.");
    expect(JSON.parse(json.stdout)).toMatchObject({ name: "default", workPoolName: "cli-queues", concurrencyLimit: 0 });
    expect(await client.workQueues.get.query({ workPool: "cli-queues", workQueue: "urgent" })).toMatchObject({ concurrencyLimit: 3, paused: false, description: null });

    const [nothing, badLimit, negative, both, tooHigh, unknownQueue, unknownPool] = await Promise.all([
      baton("work-queue", "update", "cli-queues", "urgent"),
      baton("work-queue", "update", "cli-queues", "urgent", "--concurrency-limit", "lots"),
      baton("work-queue", "update", "cli-queues", "urgent", "--priority", "-1"),
      baton("work-queue", "update", "cli-queues", "urgent", "--pause", "--resume"),
      baton("work-queue", "update", "cli-queues", "urgent", "--priority", "2000000"),
      baton("work-queue", "update", "cli-queues", "nope", "--priority", "1"),
      baton("work-queue", "update", "nowhere", "urgent", "--priority", "1"),
    ]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr.trim()).toBe("Error: Nothing to change: give --priority, --concurrency-limit, --pause, --resume or --description (see --help).");
    expect(badLimit.code).toBe(1);
    expect(badLimit.stderr).toMatch(/--concurrency-limit <n>' argument 'lots' is invalid\. must be a whole number, 0 or more, or "none"\./);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/--priority <n>' argument '-1' is invalid\. must be a whole number, 0 or more\./);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/option '--pause' cannot be used with option '--resume'/);
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stderr).toMatch(/^Error: .*priority.*1000000/);
    expect(unknownQueue.code).toBe(1);
    expect(unknownQueue.stderr.trim()).toBe('Error: Work queue "nope" in work pool "cli-queues" was not found');
    expect(unknownPool.code).toBe(1);
    expect(unknownPool.stderr).toMatch(/^Error: Work pool "nowhere" was not found/);
    // Nothing refused changed anything.
    expect(await client.workQueues.get.query({ workPool: "cli-queues", workQueue: "urgent" })).toMatchObject({ priority: 0, concurrencyLimit: 3, paused: false });
  });
});
