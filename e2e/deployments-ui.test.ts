/**
 * Deployments and work pools managed from the browser alone, as a new user would on a fresh
 * database: a real Baton server process (auth off: the local user is the owner), headless
 * Chromium, no seeding through the API. The tests share one server and build on each other in
 * order: pool → deployment → run with parameters → pause/resume → schedule → delete.
 *
 * No worker is started: a run made here stays Scheduled, and its pages must say why it waits.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let page: Page;

const POOL = "ui-pool";
const FLOW = "ui-flow";
const NAME = "encode-texts";
const FULL = `${FLOW}/${NAME}`;
let deploymentUrl = "";
let runName = "";

const SCHEMA = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", title: "Name", minLength: 1 },
    count: { type: "integer", title: "Count", minimum: 1, maximum: 10, errorMessage: "Count must be a whole number from 1 to 10" },
  },
};

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, timezoneId: "UTC" });
  page.setDefaultTimeout(15_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    const file = await saveScreenshot(page, `deployments-ui-${name}`);
    if (file) console.error(`Screenshot: ${file}`);
    console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
  });
}

describe("deployments and work pools in the UI", () => {
  test("a work pool and its queues are created and tuned in the UI", async ({ onTestFailed }) => {
    onFailure("pool", onTestFailed);
    await page.goto(`${baton.url}/work-pools`);
    expect(await page.getByTestId("work-pools-empty").textContent()).toContain("Create one with the form above");

    const form = page.getByRole("form", { name: "New work pool" });
    await form.getByLabel("Name").fill(POOL);
    await form.getByLabel("Type").selectOption("node");
    await form.getByLabel("Concurrency limit").fill("2");
    await form.getByRole("button", { name: "Create pool" }).click();
    const row = page.getByRole("table", { name: "Work pools" }).getByRole("row", { name: new RegExp(POOL) });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/node.*Ready.*2/s);

    // A second queue, with a priority and a limit; then the default queue's priority changed.
    const addQueue = page.getByRole("form", { name: `New queue in ${POOL}` });
    await addQueue.getByLabel("New queue").fill("urgent");
    await addQueue.getByLabel("Priority").fill("0");
    await addQueue.getByLabel("Concurrency limit").fill("1");
    await addQueue.getByRole("button", { name: "Add queue" }).click();
    const queues = page.getByRole("table", { name: `Queues of ${POOL}` });
    const urgent = queues.getByRole("row", { name: /urgent/ });
    await urgent.waitFor();
    expect((await urgent.getByRole("cell").allTextContents()).slice(0, 3)).toEqual(["urgent", "0", "1"]);

    await page.getByLabel("Priority of queue default").fill("5");
    await page.getByLabel("Concurrency limit of queue default").fill("3");
    await queues.getByRole("row", { name: /^default/ }).getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await queues.getByRole("row", { name: /^default/ }).getByRole("cell").allTextContents()).slice(1, 3)).toEqual(["5", "3"]);
    const stored = await client.workQueues.list.query({ workPool: POOL });
    expect(stored.map((q) => [q.name, q.priority, q.concurrencyLimit])).toEqual([
      ["urgent", 0, 1],
      ["default", 5, 3],
    ]);

    // Pause and resume the queue and the pool.
    await page.getByRole("button", { name: "Pause queue urgent" }).click();
    await page.getByRole("button", { name: "Resume queue urgent" }).waitFor();
    expect(await urgent.textContent()).toContain("Paused");
    await page.getByRole("button", { name: "Resume queue urgent" }).click();
    await page.getByRole("button", { name: "Pause queue urgent" }).waitFor();

    await page.getByRole("button", { name: `Pause pool ${POOL}` }).click();
    await page.getByRole("button", { name: `Resume pool ${POOL}` }).waitFor();
    expect(await row.textContent()).toContain("Paused");
    expect((await client.workPools.get.query({ workPool: POOL })).paused).toBe(true);
    await page.getByRole("button", { name: `Resume pool ${POOL}` }).click();
    await page.getByRole("button", { name: `Pause pool ${POOL}` }).waitFor();
    expect((await client.workPools.get.query({ workPool: POOL })).paused).toBe(false);

    // A limit that is not a number is refused before it is sent.
    await page.getByLabel(`Concurrency limit of ${POOL}`).fill("-1");
    await page.getByRole("button", { name: "Save limit" }).click();
    await page.getByText("A concurrency limit is a whole number, 0 or more").waitFor();
    expect(await page.getByText("No worker has registered with this pool").count()).toBe(1);
  });

  test("a deployment is created in the UI", async ({ onTestFailed }) => {
    onFailure("create", onTestFailed);
    await page.goto(`${baton.url}/deployments`);
    await page.getByTestId("deployments-empty").getByRole("link", { name: "New deployment" }).click();
    await page.getByRole("heading", { level: 1, name: "New deployment" }).waitFor();

    const form = page.getByRole("form", { name: "New deployment" });
    await form.getByLabel("Flow").fill(FLOW);
    await form.getByLabel("Deployment name").fill(NAME);
    await form.getByLabel("Entrypoint").fill("kind:encode");
    await form.getByLabel("Work pool").selectOption(POOL);
    await form.getByLabel("Tags").fill("ui, e2e");
    await form.getByLabel(/Parameter schema/).fill("{ not json");
    await form.getByRole("button", { name: "Create deployment" }).click();
    expect(await page.getByTestId("deployment-form-error").textContent()).toContain("The parameter schema is not valid JSON");

    await form.getByLabel(/Parameter schema/).fill(JSON.stringify(SCHEMA, null, 2));
    await form.getByLabel(/Default parameters/).fill('{ "count": 3 }');
    await form.getByRole("button", { name: "Create deployment" }).click();
    await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/);
    deploymentUrl = page.url();
    await page.getByRole("heading", { level: 1, name: new RegExp(FULL) }).waitFor();
    expect(await page.getByTestId("deployment-status").textContent()).toBe("Active");
    expect(await page.getByTestId("no-schedules").textContent()).toContain("runs only when someone runs it");
    expect(await page.getByTestId("deployment-runs-empty").textContent()).toContain("Press Run");

    const stored = await client.deployments.get.query({ deployment: deploymentUrl.split("/").pop()! });
    expect(stored).toMatchObject({ entrypoint: "kind:encode", workPoolName: POOL, tags: ["ui", "e2e"], parameters: { count: 3 } });
    expect(stored.parameterSchema).toMatchObject(SCHEMA);
  });

  test("the parameter form refuses bad input with the schema's message, then runs with custom parameters", async ({ onTestFailed }) => {
    onFailure("run-with-parameters", onTestFailed);
    await page.goto(deploymentUrl);
    await page.getByRole("button", { name: `Run ${FULL} with parameters` }).click();
    const count = page.locator("#param_count");
    await count.waitFor();
    expect(await count.inputValue()).toBe("3"); // the deployment's default

    await count.fill("0");
    await page.getByRole("button", { name: "Run with these parameters" }).click();
    const errors = page.locator(".parameter-form .panel-danger");
    await errors.waitFor();
    const errorText = await errors.textContent();
    expect(errorText).toContain("Count must be a whole number from 1 to 10");
    expect(errorText).toContain("Name: is required");
    // Nothing was sent.
    expect((await client.flowRuns.list.query({ deployment: deploymentUrl.split("/").pop()! })).items).toHaveLength(0);

    await page.locator("#param_name").fill("hello");
    await count.fill("4");
    await page.getByRole("button", { name: "Run with these parameters" }).click();
    const created = page.getByTestId("run-with-parameters-feedback").getByRole("link");
    await created.waitFor();
    runName = (await created.textContent())!.trim();

    const runs = (await client.flowRuns.list.query({ deployment: deploymentUrl.split("/").pop()! })).items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: runName, stateType: "SCHEDULED", parameters: { name: "hello", count: 4 } });

    // Its page says why it waits: no worker in the pool.
    await created.click();
    await page.getByRole("heading", { level: 1, name: new RegExp(runName) }).waitFor();
    expect(await page.getByTestId("run-state").getByTestId("state-badge").getAttribute("data-state-type")).toBe("SCHEDULED");
    expect(await page.getByTestId("waiting-reason").textContent()).toContain(`no worker is online in work pool "${POOL}"`);

    // And so do the deployment's and the pool's lists.
    await page.goto(deploymentUrl);
    const reason = page.locator(`[data-testid="run-row"][data-run="${runName}"] [data-testid="run-waiting-reason"]`);
    expect(await reason.textContent()).toContain("no worker is online");
    await page.goto(`${baton.url}/work-pools`);
    expect(await page.locator(`[data-testid="run-row"][data-run="${runName}"] [data-testid="run-waiting-reason"]`).textContent()).toContain(
      "no worker is online",
    );
  });

  test("pause and resume", async ({ onTestFailed }) => {
    onFailure("pause", onTestFailed);
    await page.goto(deploymentUrl);
    await page.getByRole("button", { name: `Pause ${FULL}` }).click();
    await page.getByRole("button", { name: `Resume ${FULL}` }).waitFor();
    expect(await page.getByTestId("deployment-status").textContent()).toBe("Paused");
    expect(await page.getByRole("button", { name: `Run ${FULL}`, exact: true }).isDisabled()).toBe(true);
    expect((await client.deployments.get.query({ deployment: deploymentUrl.split("/").pop()! })).paused).toBe(true);

    await page.getByRole("button", { name: `Resume ${FULL}` }).click();
    await page.getByRole("button", { name: `Pause ${FULL}` }).waitFor();
    expect(await page.getByTestId("deployment-status").textContent()).toBe("Active");
  });

  test("a schedule is edited: six fields refused until seconds are chosen, the next five times shown", async ({ onTestFailed }) => {
    onFailure("schedule", onTestFailed);
    await page.goto(deploymentUrl);
    await page.getByRole("link", { name: `Edit ${FULL}` }).click();
    await page.getByRole("heading", { level: 1, name: `Edit ${FULL}` }).waitFor();
    await page.getByRole("button", { name: "Add schedule" }).click();
    const schedule = page.getByRole("group", { name: "Schedule 1" });

    // The typo from the issue: meant 08:00 daily, six fields.
    await schedule.getByLabel("Cron expression").fill("0 8 * * * *");
    const problem = schedule.getByTestId("schedule-problem");
    expect(await problem.textContent()).toContain("This expression has 6 fields: the first would be read as seconds");
    await page.getByRole("button", { name: "Save changes" }).click();
    expect(await page.getByTestId("deployment-form-error").textContent()).toContain("Schedule 1: This expression has 6 fields");
    expect(page.url()).toMatch(/\/edit$/);

    // Chosen on purpose, it reads as what croner will do.
    await schedule.getByLabel(/With seconds/).check();
    expect(await schedule.getByTestId("schedule-description").textContent()).toContain("At 8 minutes past the hour");
    expect(await schedule.getByTestId("next-runs").getByRole("listitem").count()).toBe(5);

    // What was meant: weekdays at 09:30 in Tokyo.
    await schedule.getByLabel(/With seconds/).uncheck();
    await schedule.getByLabel("Cron expression").fill("30 9 * * 1-5");
    await schedule.getByLabel("Timezone").fill("Asia/Tokyo");
    expect(await schedule.getByTestId("schedule-description").textContent()).toBe("At 09:30, Monday through Friday (Asia/Tokyo)");
    const times = await schedule.getByTestId("next-runs").getByRole("listitem").allTextContents();
    expect(times).toHaveLength(5);
    for (const t of times) expect(t).toMatch(/^(Mon|Tue|Wed|Thu|Fri), .* 09:30 GMT\+9$/);

    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(/\/deployments\/[0-9a-f-]{36}$/);
    const saved = page.getByTestId("deployment-schedule");
    await saved.waitFor();
    expect(await saved.textContent()).toContain("At 09:30, Monday through Friday (Asia/Tokyo)");
    const shown = await saved.getByRole("listitem").allTextContents();
    expect(shown).toHaveLength(5);
    expect(shown.every((t) => t.includes("09:30 GMT+9"))).toBe(true);

    const stored = await client.deployments.get.query({ deployment: deploymentUrl.split("/").pop()! });
    expect(stored.schedules).toMatchObject([{ cron: "30 9 * * 1-5", timezone: "Asia/Tokyo", active: true }]);
    // The edit kept the rest.
    expect(stored).toMatchObject({ entrypoint: "kind:encode", workPoolName: POOL, parameters: { count: 3 } });
  });

  test("delete asks with the number of scheduled runs it withdraws", async ({ onTestFailed }) => {
    onFailure("delete", onTestFailed);
    const id = deploymentUrl.split("/").pop()!;
    await page.goto(deploymentUrl);
    await page.getByRole("button", { name: `Delete ${FULL}` }).click();
    const question = (await page.getByTestId("delete-question").textContent())!;
    const waiting = (await client.flowRuns.list.query({ deployment: id, states: ["SCHEDULED"] })).items.length;
    expect(waiting).toBeGreaterThanOrEqual(1); // the run made by hand, and any the schedule made since
    expect(question).toContain(`Delete ${FULL}? This withdraws ${waiting} scheduled run${waiting === 1 ? "" : "s"}`);

    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL(/\/deployments\?deleted=/);
    const notice = await page.getByTestId("deployment-deleted").textContent();
    expect(notice).toContain(`Deleted ${FULL}.`);
    expect(notice).toContain(`${waiting} scheduled run${waiting === 1 ? " was" : "s were"} withdrawn`);

    const run = (await client.flowRuns.list.query({ flow: FLOW })).items.find((r) => r.name === runName);
    expect(run?.stateType).toBe("CANCELLED");
    expect(await page.getByTestId("deployments-empty").count()).toBe(1);
  });
});
