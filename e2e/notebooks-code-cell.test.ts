/**
 * A TypeScript code cell is code one member wrote running in another member's tab. Olive (an
 * owner) writes one that tries to reach Ben's session: document.cookie, localStorage, IndexedDB,
 * Baton's API with credentials, the page's DOM. Ben (an editor) opens the notebook: nothing
 * runs on open, and running the notebook stops at Olive's cells until he allows them; then it
 * runs sandboxed and what it saw is stored as its output — every probe empty or refused — while
 * Ben's session is intact. The server names each code cell's author and refuses code from a
 * member without the execution privilege.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Cell } from "../common/notebook";
import type { BatonClient } from "../server/client";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";
import { memberClient, ownerAndMember, signIn } from "./helpers/members";

const SECRET = "e2e-secret-that-is-long-enough-for-better-auth";
let baton: BatonProcess;
let browser: Browser;
let page: Page | undefined;

const clientFor = (cookie: string): BatonClient => memberClient(baton, cookie);

async function contextFor(cookie: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const [name, ...value] = cookie.split("=");
  await context.addCookies([{ name: name!, value: value.join("="), url: baton.url }]);
  // Counts every sandbox iframe the page ever adds, so "nothing ran" is seen, not assumed.
  await context.addInitScript(() => {
    const w = window as unknown as { __sandboxes: number };
    w.__sandboxes = 0;
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLIFrameElement && n.hasAttribute("sandbox")) w.__sandboxes++;
    }).observe(document, { childList: true, subtree: true });
  });
  return context;
}

/** What the probe cell tries; each line records what it saw or the error's name. */
const probeSource = (apiUrl: string) => `
const seen: Record<string, unknown> = { seed: inputs.seed, origin: self.origin, document: typeof document };
try { seen.cookie = (self as any).document ? (self as any).document.cookie : null; } catch (e) { seen.cookie = "threw " + (e as Error).name; }
try { seen.localStorage = typeof localStorage === "undefined" ? "undefined" : "readable: " + JSON.stringify(Object.keys(localStorage)); } catch (e) { seen.localStorage = "threw " + (e as Error).name; }
try {
  const req = indexedDB.open("baton-outbox");
  seen.indexedDB = await new Promise((res) => { req.onsuccess = () => res("opened"); req.onerror = () => res("refused " + (req.error && req.error.name)); });
} catch (e) { seen.indexedDB = "threw " + (e as Error).name; }
try {
  const r = await fetch(${JSON.stringify(`${apiUrl}/notebooks.list`)}, { credentials: "include" });
  seen.fetch = "answered " + r.status + ": " + (await r.text()).slice(0, 200);
} catch (e) { seen.fetch = "threw " + (e as Error).name; }
try { const p = (self as any).parent; seen.parentDom = p && p.document ? "read: " + p.document.title : "none"; } catch (e) { seen.parentDom = "threw " + (e as Error).name; }
console.log("probed", Object.keys(seen).join(","));
return seen;
`;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton({ env: { BATON_AUTH: "on", BATON_AUTH_SECRET: SECRET } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

describe("a code cell another member wrote", () => {
  test("does not run on open, runs only when the member allows it, and then sees nothing of their session", async ({ onTestFailed }) => {
    onTestFailed(async () => void (page && (await saveScreenshot(page, "notebooks-code-cell"))));
    const { owner: olive, memberCookie: benCookie } = await ownerAndMember(baton, SECRET, { name: "Ben", email: "ben@example.com", role: "editor" });
    const ben = clientFor(benCookie);

    // Olive's cells; the author she claims is ignored: the server records who saved.
    const cells: Cell[] = [
      { id: "seed", kind: "code", parameters: { source: 'const words: string[] = ["alpha", "beta"];\nreturn words;' }, inputs: {}, target: "tab", author: "user:ben@example.com" },
      { id: "probe", kind: "code", parameters: { source: probeSource(baton.apiUrl) }, inputs: { seed: "seed" }, target: "tab" },
    ];
    const nb = await olive.notebooks.create.mutate({ name: "probing", cells });
    expect(nb.cells.map((c) => c.author)).toEqual(["user:olive@example.com", "user:olive@example.com"]);

    // Ben may run Olive's code but not write code: that defines what others' tabs and workers run.
    const changed = nb.cells.map((c) => (c.id === "seed" ? { ...c, parameters: { source: "return 1;" } } : c));
    await expect(ben.notebooks.save.mutate({ id: nb.id, expectedVersion: nb.version, cells: changed })).rejects.toThrow(/cell "seed": a code cell is code .* may write or change one/);
    // A syntax error is named on save, with its line in the cell's source.
    await expect(olive.notebooks.save.mutate({ id: nb.id, expectedVersion: nb.version, cells: [{ id: "bad", kind: "code", parameters: { source: "const x = ;\nreturn x;" }, inputs: {}, target: "tab" }] })).rejects.toThrow(
      /cell "bad": parameters\.source: the code does not parse as TypeScript: .*line 1/,
    );

    const context = await contextFor(benCookie);
    page = await context.newPage();
    await page.goto(`${baton.url}/notebooks/${nb.id}`);
    const consent = page.getByTestId("code-consent");
    await consent.waitFor({ timeout: 30_000 });
    expect(await consent.textContent()).toMatch(/olive@example\.com \(seed, probe\)/);
    await page.getByTestId("run-all").and(page.locator(":enabled")).waitFor({ timeout: 60_000 });
    const probe = page.locator('[data-testid="notebook-cell"][data-cell="probe"]');
    expect(await probe.getAttribute("data-state")).toBe("empty");
    expect(await probe.getByTestId("code-author").textContent()).toMatch(/Written by olive@example\.com/);
    expect(await page.evaluate(() => (window as unknown as { __sandboxes: number }).__sandboxes)).toBe(0);

    // Running without allowing it stops at Olive's first cell; still no sandbox made.
    await page.getByTestId("run-all").click();
    const seed = page.locator('[data-testid="notebook-cell"][data-cell="seed"]');
    await seed.getByText(/written by olive@example\.com: it runs only after you choose to run their code/).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { __sandboxes: number }).__sandboxes)).toBe(0);
    expect(await probe.getAttribute("data-state")).toBe("empty");

    // Ben allows it: both cells run, each in its own sandbox, and the outputs are saved.
    await page.getByTestId("trust-code").click();
    expect(await consent.count()).toBe(0);
    await page.getByTestId("run-all").click();
    await probe.getByTestId("code-output").waitFor({ timeout: 60_000 });
    await page.getByTestId("save-status").getByText(/Saved version 2/).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { __sandboxes: number }).__sandboxes)).toBe(2);
    expect(await page.locator("iframe").count()).toBe(0);
    expect(await probe.getByTestId("task-logs").textContent()).toMatch(/probed seed,origin,document,cookie,localStorage,indexedDB,fetch,parentDom/);

    const saved = await ben.notebooks.get.query({ id: nb.id });
    expect(saved.version).toBe(2);
    expect(saved.updatedBy).toBe("user:ben@example.com");
    // Running and saving her code did not make Ben its author.
    expect(saved.cells.map((c) => c.author)).toEqual(["user:olive@example.com", "user:olive@example.com"]);
    const stored = await ben.results.get.query({ id: saved.cells.find((c) => c.id === "probe")!.outputResultId!, includeData: true });
    const seen = (stored.storage === "inline" ? stored.value : JSON.parse(Buffer.from(stored.base64 ?? "", "base64").toString())) as Record<string, string | null>;
    expect(seen.seed).toEqual(["alpha", "beta"]);
    expect(seen.origin).toBe("null");
    expect(seen.document).toBe("undefined");
    expect(seen.cookie).toBeNull();
    expect(seen.localStorage).toBe("undefined");
    expect(seen.indexedDB).toMatch(/^(threw|refused) SecurityError/);
    expect(seen.fetch).toBe("threw TypeError");
    expect(seen.parentDom).toBe("none");

    // Ben's session is as it was: his cookie is there and the page still acts as him.
    expect((await context.cookies(baton.url)).map((c) => `${c.name}=${c.value}`)).toContain(benCookie);
    const me = await page.evaluate(async () => ((await (await fetch("/api/auth/get-session")).json()) as { user?: { email?: string } } | null)?.user?.email);
    expect(me).toBe("ben@example.com");
    await page.reload();
    await probe.getByTestId("code-output").waitFor({ timeout: 30_000 });
    expect(await page.getByText("ben@example.com").first().isVisible()).toBe(true);
    await context.close();

    // Olive, its author, is not asked.
    const oliveContext = await contextFor(await signIn(baton, "olive@example.com", "olive's long password"));
    page = await oliveContext.newPage();
    await page.goto(`${baton.url}/notebooks/${nb.id}`);
    await page.locator('[data-testid="notebook-cell"][data-cell="probe"]').getByTestId("code-output").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("code-consent").count()).toBe(0);
    await oliveContext.close();
  });
});
