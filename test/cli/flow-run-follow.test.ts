/**
 * `baton flow-run logs [--follow]` and `baton flow-run watch` against a real API, the run driven
 * through the API as a worker would (states, task runs, log lines) while the CLI follows it in
 * a child process: the lines come out in order, following ends with the run, and the exit code
 * says how it ended (0 COMPLETED, 2 FAILED, 4 CANCELLED).
 */
import { describe, expect, it } from "vitest";
import { createBatonClient, type BatonClient } from "../../server/client";
import { useHttpApiServer } from "../helpers/http-api-server";
import { runCli, show, startCli } from "./run-cli";

const api = useHttpApiServer();
const env = () => ({ BATON_API_URL: api.apiUrl, BATON_WORKSPACE: undefined });
const baton = (...args: string[]) => runCli(args, env());

/** A run of its own flow, no pool: nothing but the test moves it. */
async function newRun(client: BatonClient, name: string) {
  return client.flowRuns.create.mutate({ flow: `follow-${name}`, createFlow: true, name, maxRetries: 0 });
}

const setState = (client: BatonClient, id: string, type: "PENDING" | "RUNNING" | "COMPLETED" | "FAILED", message?: string) =>
  client.flowRuns.setState.mutate({ id, state: { type, message } });

const log = (client: BatonClient, flowRunId: string, lines: { level: number; message: string; taskRunId?: string; at?: string }[]) =>
  client.logs.create.mutate({
    logs: lines.map((l) => ({ flowRunId, taskRunId: l.taskRunId, level: l.level, message: l.message, timestamp: l.at })),
  });

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}(DEBUG|INFO|WARNING|ERROR|CRITICAL) *  /;

describe("baton flow-run logs", () => {
  it("prints a finished run's lines in time order with level and task, filters by level and task, and limits", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    const run = await newRun(client, "finished");
    await setState(client, run.id, "RUNNING");
    const task = await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "load", start: true });
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    // Stored out of order: shown in time order.
    await log(client, run.id, [
      { level: 20, message: "flow started", at: at(1) },
      { level: 40, message: "disk almost full", taskRunId: task.id, at: at(4) },
      { level: 10, message: "reading rows\nrow 1\nrow 2", taskRunId: task.id, at: at(2) },
    ]);
    await log(client, run.id, [{ level: 30, message: "slow page", at: at(3) }, { level: 20, message: "flow done", at: at(5) }]);
    await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" } });
    await setState(client, run.id, "COMPLETED");

    const [all, warnings, onlyTask, byKey, limited, json, noTask, unknownRun, badLevel, quiet] = await Promise.all([
      baton("flow-run", "logs", run.id),
      baton("flow-run", "logs", run.id, "--level", "warning"),
      baton("flow-run", "logs", run.id, "--task", task.name),
      baton("flow-run", "logs", run.id, "--task", "load", "--level", "40"),
      baton("flow-run", "logs", run.id, "--limit", "2"),
      baton("flow-run", "logs", run.id, "--json", "--level", "error"),
      baton("flow-run", "logs", run.id, "--task", "nope"),
      baton("flow-run", "logs", "00000000-0000-4000-8000-00000000abcd"),
      baton("flow-run", "logs", run.id, "--level", "loud"),
      baton("flow-run", "logs", run.id, "--level", "critical"),
    ]);

    expect(all.code, show(all)).toBe(0);
    const lines = all.stdout.trimEnd().split("\n");
    expect(lines.filter((l) => LINE.test(l)).map((l) => l.replace(LINE, "$1 "))).toEqual([
      "INFO flow started",
      `DEBUG [${task.name}] reading rows`,
      "WARNING slow page",
      `ERROR [${task.name}] disk almost full`,
      "INFO flow done",
    ]);
    // A multi-line message: its other lines indented under the first, on lines of their own.
    const at2 = lines.findIndex((l) => l.endsWith("reading rows"));
    expect(lines[at2 + 1]).toBe(`${" ".repeat(35)}row 1`);
    expect(lines[at2 + 2]).toBe(`${" ".repeat(35)}row 2`);
    expect(lines).toHaveLength(7);
    expect(all.stderr).toBe("");

    expect(warnings.stdout.trimEnd().split("\n").map((l) => l.replace(LINE, "$1 "))).toEqual(["WARNING slow page", `ERROR [${task.name}] disk almost full`]);
    expect(onlyTask.stdout).toContain("reading rows");
    expect(onlyTask.stdout).toContain("disk almost full");
    expect(onlyTask.stdout).not.toContain("flow started");
    expect(byKey.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(byKey.stdout).toContain("disk almost full");

    expect(limited.code, show(limited)).toBe(0);
    expect(limited.stdout.trimEnd().split("\n").filter((l) => LINE.test(l))).toHaveLength(2);
    expect(limited.stderr).toContain("Showing the first 2 lines; raise --limit to see more.");

    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ level: 40, levelName: "ERROR", taskRunId: task.id, taskName: task.name, message: "disk almost full" }),
    ]);

    expect(noTask.code).toBe(1);
    expect(noTask.stderr.trim()).toBe(`Error: Flow run 'finished' has no task run "nope" (its task runs: ${task.name}).`);
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.stderr).toMatch(/^Error: Flow run .*not found/);
    expect(badLevel.code).toBe(1);
    expect(badLevel.stderr).toMatch(/--level.*must be debug, info, warning, error, critical or a number/);
    expect(quiet.code, show(quiet)).toBe(0);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toContain("No log lines at CRITICAL or above for flow run 'finished' (Completed).");
  });

  it("--follow prints new lines until the run ends, and exits 0 for COMPLETED, 2 for FAILED", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    const [ok, bad] = await Promise.all([newRun(client, "follow-ok"), newRun(client, "follow-bad")]);
    for (const run of [ok, bad]) {
      await setState(client, run.id, "RUNNING");
      await log(client, run.id, [{ level: 20, message: `${run.name}: line 1` }]);
    }
    const following = [startCli(["flow-run", "logs", ok.id, "--follow"], env()), startCli(["flow-run", "logs", bad.id, "-f", "--level", "info"], env())];
    await Promise.all(following.map((cli, i) => cli.waitForStdout(`${[ok, bad][i]!.name}: line 1`)));

    const task = await client.taskRuns.create.mutate({ flowRunId: ok.id, taskKey: "train", start: true });
    await log(client, ok.id, [{ level: 20, message: "follow-ok: line 2", taskRunId: task.id }]);
    await following[0]!.waitForStdout(`[${task.name}] follow-ok: line 2`);
    await log(client, bad.id, [{ level: 10, message: "follow-bad: debug, filtered" }, { level: 40, message: "follow-bad: boom" }]);
    await client.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" } });
    await log(client, ok.id, [{ level: 20, message: "follow-ok: line 3" }]);
    await setState(client, ok.id, "COMPLETED");
    await setState(client, bad.id, "FAILED", "ValueError: no rows");

    const [okDone, badDone] = await Promise.all([following[0]!.done, following[1]!.done]);
    expect(okDone.code, show(okDone)).toBe(0);
    expect(okDone.stdout.trimEnd().split("\n").map((l) => l.replace(LINE, ""))).toEqual([
      "follow-ok: line 1",
      `[${task.name}] follow-ok: line 2`,
      "follow-ok: line 3",
    ]);
    expect(okDone.stderr).toContain("Following flow run 'follow-ok' (Running) until it ends; Ctrl+C stops following.");
    expect(okDone.stderr).toContain("Flow run 'follow-ok' ended Completed.");

    expect(badDone.code, show(badDone)).toBe(2);
    expect(badDone.stdout).toContain("follow-bad: boom");
    expect(badDone.stdout).not.toContain("filtered");
    expect(badDone.stderr).toContain("Flow run 'follow-bad' ended Failed: ValueError: no rows (exit 2).");

    // A run that has ended already: its lines, then the exit code at once.
    const again = await baton("flow-run", "logs", bad.id, "--follow", "--json");
    expect(again.code, show(again)).toBe(2);
    expect(again.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).message)).toEqual(["follow-bad: line 1", "follow-bad: debug, filtered", "follow-bad: boom"]);
    const conflict = await baton("flow-run", "logs", bad.id, "--follow", "--limit", "3");
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/--limit.*cannot be used with.*--follow/);
  });
});

describe("baton flow-run watch", () => {
  it("prints each state change and task run change until the run ends, and exits by its final state", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    const run = await newRun(client, "watched");
    const watch = startCli(["flow-run", "watch", run.id], env());
    await watch.waitForStdout(/created Scheduled/);

    await setState(client, run.id, "PENDING");
    await setState(client, run.id, "RUNNING");
    await watch.waitForStdout(/Pending → Running/);
    const [load, fit] = [
      await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "load", start: true }),
      await client.taskRuns.create.mutate({ flowRunId: run.id, taskKey: "fit" }),
    ];
    await watch.waitForStdout(new RegExp(`task ${fit.name} {2}Pending`));
    await client.taskRuns.setState.mutate({ id: load.id, state: { type: "COMPLETED" } });
    await watch.waitForStdout(new RegExp(`task ${load.name} {2}Completed {2}\\(1/2 task runs finished\\)`));
    await client.taskRuns.setState.mutate({ id: fit.id, state: { type: "RUNNING" } });
    await client.taskRuns.setState.mutate({ id: fit.id, state: { type: "COMPLETED" } });
    await setState(client, run.id, "COMPLETED");

    const done = await watch.done;
    expect(done.code, show(done)).toBe(0);
    const lines = done.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^Watching flow run 'watched' of follow-watched \\(http://127\\.0\\.0\\.1:\\d+/runs/${run.id}\\); Ctrl\\+C stops watching, not the run\\.$`));
    const events = lines.slice(1, -1).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}/, "").replace(/ {2}\(by [^)]*\)$/, ""));
    // Each change once, in order; fit's Running may fall between polls (Pending → Completed).
    expect(events.slice(0, 3)).toEqual(["created Scheduled", "Scheduled → Pending", "Pending → Running"]);
    expect(events).toContain(`task ${load.name}  Running`);
    expect(events.indexOf(`task ${load.name}  Completed  (1/2 task runs finished)`)).toBeGreaterThan(events.indexOf(`task ${fit.name}  Pending`));
    expect(events.at(-2)).toBe(`task ${fit.name}  Completed  (2/2 task runs finished)`);
    expect(events.at(-1)).toBe("Running → Completed");
    expect(lines.at(-1)).toMatch(/^Flow run 'watched' ended Completed after \d+(\.\d)? (ms|s); task runs: 2\/2 finished: 2 completed\.$/);

    // Already over: the history, then the exit code for CANCELLED; --json gives one object per change.
    const cancelled = await newRun(client, "cancelled");
    await client.flowRuns.cancel.mutate({ id: cancelled.id });
    const [text, json, unknown] = await Promise.all([
      baton("flow-run", "watch", cancelled.id),
      baton("flow-run", "watch", run.id, "--json"),
      baton("flow-run", "watch", "00000000-0000-4000-8000-00000000abcd"),
    ]);
    expect(text.code, show(text)).toBe(4);
    expect(text.stdout).toContain("Scheduled → Cancelled");
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("Flow run 'cancelled' ended Cancelled (Cancelled by user). Exit 4.");
    expect(json.code, show(json)).toBe(0);
    const objects = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(objects.filter((o) => o.type === "state").map((o) => o.to.type)).toEqual(["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]);
    expect(objects.at(-1)).toMatchObject({ type: "end", exitCode: 0, run: { id: run.id, stateType: "COMPLETED" } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Error: Flow run .*not found/);
  });
});
