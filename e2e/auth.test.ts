/**
 * Sign-in, members and API keys end to end, with auth on: a real Baton server process
 * (BATON_AUTH=on, on 127.0.0.1) on a fresh embedded database, two people in two Chromium
 * contexts, and a real `baton worker start` process using a key made in the UI.
 *
 * The tests share one server and run in order:
 *   1. a fresh server sends visitors to sign in, which says where the setup link is;
 *   2. the first owner signs up through /setup?token= (a wrong token is refused);
 *   3. sign out, a wrong password refused, sign in again back to the page asked for;
 *   4. an owner API key made in the UI (shown once) seeds a pool and a `kind:encode` deployment;
 *   5. the owner invites Vera; she signs up through the copied link and is an editor, who sees
 *      who made each API key and may revoke the one she made, not the owner's;
 *   6. the owner makes her a viewer: she sees the workspace without a single mutating control;
 *   7. a worker key made in the UI runs the owner's run to COMPLETED in a worker process, and is
 *      revoked (after a confirmation), which the API then refuses.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { setupToken } from "../server/auth/better-auth";
import { createBatonClient, type BatonClient } from "../server/client";
import { ROOT, ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

const SECRET = "e2e-secret-that-is-long-enough-for-better-auth";
const OWNER = { name: "Olive Owner", email: "olive@example.com", password: "olive's long password" };
const VERA = { name: "Vera Member", email: "vera@example.com", password: "vera's long password" };
const POOL = "e2e-node";
const DEPLOYMENT = "embed/auth-e2e";

let baton: BatonProcess;
let browser: Browser;
let ownerContext: BrowserContext;
let veraContext: BrowserContext;
let owner: Page;
let vera: Page;
/** The owner's API key, made in the UI in test 4. */
let seed: BatonClient;
let worker: { child: ChildProcess; output: () => string } | undefined;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton({ env: { BATON_AUTH: "on", BATON_AUTH_SECRET: SECRET } });
  browser = await launchChromium();
  ownerContext = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  veraContext = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  owner = await ownerContext.newPage();
  vera = await veraContext.newPage();
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    const exited = new Promise((r) => worker!.child.once("exit", r));
    worker.child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  }
  await browser?.close();
  await baton?.stop();
});

/** On failure: both people's pages, the server's output and the worker's. */
function onFailure(name: string, onTestFailed: (fn: () => Promise<void>) => void) {
  onTestFailed(async () => {
    for (const [who, page] of [
      ["owner", owner],
      ["vera", vera],
    ] as const) {
      const file = page && !page.isClosed() ? await saveScreenshot(page, `${name}-${who}`) : undefined;
      if (file) console.error(`Screenshot: ${file}`);
    }
    console.error(`--- Baton server output ---\n${baton.output()}`);
    if (worker) console.error(`--- worker output ---\n${worker.output()}`);
  });
}

async function signIn(page: Page, who: { email: string; password: string }) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Email").fill(who.email);
  await form.getByLabel("Password").fill(who.password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/** Makes an API key on the settings page and returns it (read from the page: it is shown once). */
async function createKeyInUi(page: Page, opts: { name: string; role: string; pools?: string[]; expires?: string }): Promise<string> {
  await page.goto(`${baton.url}/settings/api-keys`);
  const form = page.getByRole("form", { name: "New API key" });
  await form.getByLabel("Name").fill(opts.name);
  await form.getByLabel("Role").selectOption(opts.role);
  for (const pool of opts.pools ?? []) await form.getByRole("checkbox", { name: pool }).check();
  if (opts.expires) await form.getByLabel("Expires").selectOption({ label: opts.expires });
  await form.getByRole("button", { name: "Create key" }).click();
  const box = page.getByTestId("new-api-key-box");
  await box.waitFor();
  expect(await box.textContent()).toMatch(/will not be shown again/);
  const key = (await page.getByTestId("new-api-key").textContent())!.trim();
  expect(key).toMatch(/^baton_[A-Za-z0-9_-]{40,}$/);
  return key;
}

describe("sign-in, members and API keys (auth on)", () => {
  test("a fresh server sends visitors to sign in, which says where the setup link is", async ({ onTestFailed }) => {
    onFailure("auth-fresh", onTestFailed);
    await owner.goto(`${baton.url}/deployments`);
    await owner.waitForURL(`${baton.url}/sign-in?next=%2Fdeployments`);
    await owner.getByRole("heading", { level: 1, name: "Sign in to Baton" }).waitFor();
    expect(await owner.getByTestId("needs-setup").textContent()).toContain("/setup?token=");
    // Signed out, the shell has no navigation.
    expect(await owner.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    // The server printed the link the page speaks of.
    expect(baton.output()).toContain(`/setup?token=${setupToken(SECRET)}`);
    // The API answers signed-out callers itself (no redirect).
    const api = await fetch(`${baton.url}/api/trpc/flows.list`, { redirect: "manual" });
    expect(api.status).toBe(401);
  });

  test("the first owner signs up through the setup link; a wrong token is refused", async ({ onTestFailed }) => {
    onFailure("auth-setup", onTestFailed);
    const fill = async () => {
      const form = owner.getByRole("form", { name: "First owner" });
      await form.getByLabel("Name").fill(OWNER.name);
      await form.getByLabel("Email").fill(OWNER.email);
      await form.getByLabel("Password").fill(OWNER.password);
      await form.getByRole("button", { name: "Create owner account" }).click();
    };
    await owner.goto(`${baton.url}/setup?token=not-the-token`);
    await fill();
    expect(await owner.getByRole("form", { name: "First owner" }).getByRole("alert").textContent()).toMatch(/setup token/);

    await owner.goto(`${baton.url}/setup?token=${setupToken(SECRET)}`);
    await fill();
    await owner.waitForURL(`${baton.url}/runs`);
    await owner.getByRole("heading", { level: 1, name: "Flow runs" }).waitFor();
    expect(await owner.getByTestId("account-name").textContent()).toBe(OWNER.name);
    expect(await owner.getByTestId("account-role").textContent()).toBe("owner of Default");

    // Set up now: the setup page says so.
    await owner.goto(`${baton.url}/setup?token=${setupToken(SECRET)}`);
    await owner.getByRole("heading", { level: 1, name: "Baton is set up" }).waitFor();
  });

  test("sign out; a wrong password is refused; signing in goes back to the page asked for", async ({ onTestFailed }) => {
    onFailure("auth-sign-in", onTestFailed);
    await owner.goto(`${baton.url}/runs`);
    await owner.getByRole("button", { name: "Sign out" }).click();
    await owner.waitForURL(`${baton.url}/sign-in`);
    expect(await owner.getByTestId("needs-setup").count()).toBe(0);

    await owner.goto(`${baton.url}/work-pools`);
    await owner.waitForURL(`${baton.url}/sign-in?next=%2Fwork-pools`);
    await signIn(owner, { email: OWNER.email, password: "not the password at all" });
    expect(await owner.getByRole("form", { name: "Sign in" }).getByRole("alert").textContent()).toMatch(/invalid email or password/i);
    await signIn(owner, OWNER);
    await owner.waitForURL(`${baton.url}/work-pools`);
    await owner.getByRole("heading", { level: 1, name: "Work pools" }).waitFor();
  });

  test("an owner API key made in the UI is shown once and seeds a deployment through the API", async ({ onTestFailed }) => {
    onFailure("auth-owner-key", onTestFailed);
    const key = await createKeyInUi(owner, { name: "seed", role: "owner" });
    seed = createBatonClient({ apiUrl: baton.apiUrl, apiKey: key });
    await seed.workPools.create.mutate({ name: POOL, type: "node" });
    await seed.deployments.create.mutate({
      flow: "embed",
      name: "auth-e2e",
      workPool: POOL,
      entrypoint: "kind:encode",
      parameters: { texts: ["the cat sat on the mat", "a dog ran in the park", "cats and dogs"], encoder: "lexical" },
    });

    // Reloaded, the page lists the key by its prefix and never shows it again.
    await owner.reload();
    const row = owner.getByRole("table", { name: "API keys" }).getByRole("row", { name: /seed/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(key.slice(0, 12));
    expect(await row.textContent()).toMatch(/owner/);
    expect(await owner.getByTestId("new-api-key").count()).toBe(0);
    expect(await owner.content()).not.toContain(key);
  });

  test("the owner invites Vera; she signs up through the copied link as an editor, and revokes only the API key she made", async ({ onTestFailed }) => {
    onFailure("auth-invite", onTestFailed);
    await owner.goto(`${baton.url}/settings/members`);
    const invite = owner.getByRole("form", { name: "Invite" });
    await invite.getByLabel("Email").fill(VERA.email);
    await invite.getByLabel("Role").selectOption("editor");
    await invite.getByRole("button", { name: "Invite" }).click();
    const link = (await owner.getByTestId("invitation-link").textContent())!.trim();
    expect(link).toMatch(new RegExp(`^${baton.url}/invite/[0-9a-f-]{36}$`));
    await owner.getByRole("table", { name: "Pending invitations" }).getByRole("row", { name: new RegExp(VERA.email) }).waitFor();

    await vera.goto(link);
    await vera.getByRole("heading", { level: 1, name: "Join Default" }).waitFor();
    expect(await vera.getByTestId("invitation-email").textContent()).toBe(VERA.email);
    expect(await vera.getByTestId("invitation-role").textContent()).toBe("editor");
    const form = vera.getByRole("form", { name: "Create your account" });
    expect(await form.getByLabel("Email").inputValue()).toBe(VERA.email);
    await form.getByLabel("Name").fill(VERA.name);
    await form.getByLabel("Password").fill(VERA.password);
    await form.getByRole("button", { name: "Create account and join" }).click();
    await vera.waitForURL(`${baton.url}/runs`);
    expect(await vera.getByTestId("account-name").textContent()).toBe(VERA.name);
    expect(await vera.getByTestId("account-role").textContent()).toBe("editor of Default");

    // Editors run deployments.
    await vera.goto(`${baton.url}/deployments`);
    await vera.getByRole("button", { name: `Run ${DEPLOYMENT}` }).waitFor();

    // Editors make keys, see who made each, and revoke only their own; owners revoke any.
    await createKeyInUi(vera, { name: "vera-ci", role: "viewer" });
    await vera.reload();
    const keys = vera.getByRole("table", { name: "API keys" });
    const veras = keys.getByRole("row", { name: /vera-ci/ });
    const seedRow = keys.getByRole("row", { name: /seed/ });
    expect(await veras.getByTestId("api-key-made-by").textContent()).toBe(`${VERA.email} (you)`);
    expect(await seedRow.getByTestId("api-key-made-by").textContent()).toBe(OWNER.email);
    await veras.getByRole("button", { name: "Revoke vera-ci" }).waitFor();
    expect(await seedRow.getByRole("button", { name: /Revoke/ }).count()).toBe(0);
    await owner.goto(`${baton.url}/settings/api-keys`);
    const ownersView = owner.getByRole("table", { name: "API keys" });
    expect(await ownersView.getByRole("row", { name: /vera-ci/ }).getByTestId("api-key-made-by").textContent()).toBe(VERA.email);
    await ownersView.getByRole("row", { name: /vera-ci/ }).getByRole("button", { name: "Revoke vera-ci" }).waitFor();
    await ownersView.getByRole("row", { name: /seed/ }).getByRole("button", { name: "Revoke seed" }).waitFor();
    // Vera revokes her own.
    await veras.getByRole("button", { name: "Revoke vera-ci" }).click();
    await veras.getByRole("button", { name: "Yes, revoke" }).click();
    await veras.getByTestId("api-key-status").filter({ hasText: "Revoked" }).waitFor();

    // The invitation is used up.
    await owner.goto(`${baton.url}/settings/members`);
    await owner.getByTestId("no-invitations").waitFor();
  });

  test("the owner makes Vera a viewer: she sees the workspace with no control that changes it", async ({ onTestFailed }) => {
    onFailure("auth-viewer", onTestFailed);
    await owner.goto(`${baton.url}/settings/members`);
    const row = owner.getByRole("row", { name: new RegExp(VERA.email) });
    await row.getByRole("combobox", { name: `Role of ${VERA.name}` }).selectOption("viewer");
    await row.getByRole("status").filter({ hasText: "Now viewer" }).waitFor();

    await vera.goto(`${baton.url}/deployments`);
    await vera.getByRole("table", { name: "Deployments" }).getByRole("row", { name: /auth-e2e/ }).waitFor();
    expect(await vera.getByRole("button", { name: /^Run / }).count()).toBe(0);
    expect(await vera.getByTestId("account-role").textContent()).toBe("viewer of Default");

    // Members: the list, and nothing to change or invite with.
    await vera.goto(`${baton.url}/settings/members`);
    await vera.getByRole("table", { name: "Members" }).getByRole("row", { name: new RegExp(OWNER.email) }).waitFor();
    expect(await vera.getByRole("combobox").count()).toBe(0);
    expect(await vera.getByRole("button", { name: /Remove|Invite/ }).count()).toBe(0);
    expect(await vera.getByRole("form", { name: "Invite" }).count()).toBe(0);

    // The workbench runs kinds in the tab for her, but will not lend the tab to a pool.
    await vera.goto(`${baton.url}/workbench`);
    await vera.getByTestId("runtime-info").waitFor({ timeout: 60_000 });
    expect(await vera.getByTestId("tab-worker-toggle").count()).toBe(0);

    // API keys are for editors and owners.
    await vera.goto(`${baton.url}/settings/api-keys`);
    await vera.getByTestId("api-keys-not-allowed").waitFor();
    expect(await vera.getByRole("form", { name: "New API key" }).count()).toBe(0);
  });

  test("a worker key made in the UI runs a kind: run to COMPLETED in a worker process, then is revoked", async ({ onTestFailed }) => {
    onFailure("auth-worker-key", onTestFailed);
    const key = await createKeyInUi(owner, { name: "node-worker", role: "worker", pools: [POOL], expires: "In 30 days" });
    await owner.reload();
    const keyRow = owner.getByRole("row", { name: /node-worker/ });
    await keyRow.waitFor();
    expect(await keyRow.textContent()).toContain(POOL);
    expect(await keyRow.textContent()).toMatch(/never/); // not used yet

    // A real worker process, with nothing but the key and the URL.
    let out = "";
    const child = spawn(process.execPath, [path.join(ROOT, "bin/baton.mjs"), "worker", "start", "-p", POOL, "--name", "e2e-node-worker"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: baton.apiUrl, BATON_API_KEY: key, BATON_WORKER_CLAIM_WAIT_MS: "3000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    worker = { child, output: () => out };
    const deadline = Date.now() + 60_000;
    while (!/polling pool/.test(out)) {
      if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
      if (Date.now() > deadline) throw new Error(`the worker did not start polling:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // The owner runs the deployment from the UI.
    await owner.goto(`${baton.url}/deployments`);
    await owner.getByRole("button", { name: `Run ${DEPLOYMENT}` }).click();
    // The new run's link in the row's status line (the deployment's name is a link too).
    const created = owner.getByRole("row", { name: /auth-e2e/ }).getByRole("status").getByRole("link");
    await created.waitFor();
    const runId = (await created.getAttribute("href"))!.split("/").pop()!;

    let run = await seed.flowRuns.get.query({ id: runId });
    const runDeadline = Date.now() + 90_000;
    while (run.stateType !== "COMPLETED") {
      if (["FAILED", "CRASHED", "CANCELLED"].includes(run.stateType)) throw new Error(`run ended ${run.stateType}: ${run.stateMessage}`);
      if (Date.now() > runDeadline) throw new Error(`run still ${run.stateType} after 90 s`);
      await new Promise((r) => setTimeout(r, 250));
      run = await seed.flowRuns.get.query({ id: runId });
    }
    // The encoder's vectors, uploaded by the worker with its key.
    const result = await seed.results.ofRun.query({ flowRunId: runId, includeData: true });
    expect(result).not.toBeNull();
    expect(JSON.stringify(result)).toMatch(/lexical/);

    // The viewer sees the completed run, and neither Cancel nor Retry.
    await vera.goto(`${baton.url}/runs/${runId}`);
    expect(await vera.getByTestId("run-state").textContent()).toMatch(/Completed/);
    expect(await vera.getByRole("button", { name: /Cancel run|Retry run/ }).count()).toBe(0);

    // The key was used; revoking asks first, then the API refuses it.
    await owner.goto(`${baton.url}/settings/api-keys`);
    const row = owner.getByRole("row", { name: /node-worker/ });
    expect(await row.textContent()).not.toContain("never"); // used now, and it expires
    await row.getByRole("button", { name: "Revoke node-worker" }).click();
    await row.getByRole("button", { name: "Yes, revoke" }).click();
    await row.getByTestId("api-key-status").filter({ hasText: "Revoked" }).waitFor();
    const refused = await fetch(`${baton.apiUrl}/trpc/workPools.get?input=${encodeURIComponent(JSON.stringify({ workPool: POOL }))}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toMatch(/revoked/);
  });
});
