/**
 * Light and dark: the UI follows the system's colour scheme (prefers-color-scheme). For each
 * scheme, Chromium emulates it and opens the main pages of a real Baton seeded through the typed
 * client (runs in every badge tone; one run with task runs, logs, metrics and a JSON result, so
 * its page draws the graph, the timeline, the log box, a chart and the result tree); in the page
 * the test measures, from getComputedStyle, WCAG contrast ratios:
 *   - body text on the page background, and every other visible text on what lies behind it;
 *   - muted text (whatever is drawn in --muted), links, and each state badge's text on its own
 *     background: all at least 4.5:1 (AA for normal text);
 * that badges of different states have different backgrounds; and that the page background is
 * dark in the dark scheme (relative luminance < 0.2) and light in the light one.
 *
 * Disabled controls (dimmed on purpose; WCAG exempts them) and svg text (drawn with fill, not
 * color) are left out. What is behind an element is the first ancestor background, alpha
 * backgrounds blended onto the one below.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBatonClient, type BatonClient } from "../server/client";
import { ensureProductionBuild, startBaton, type BatonProcess } from "./helpers/baton-process";
import { launchChromium, saveScreenshot } from "./helpers/browser";

const AA = 4.5;

let baton: BatonProcess;
let client: BatonClient;
let browser: Browser;
let runId: string;
let tasksRunId: string;
/** Heartbeats for the runs the test's worker holds, so that none is taken for a zombie meanwhile. */
let heartbeat: ReturnType<typeof setInterval> | undefined;

beforeAll(async () => {
  ensureProductionBuild();
  baton = await startBaton();
  client = createBatonClient({ apiUrl: baton.apiUrl });
  browser = await launchChromium();

  // A pool, a deployment, and runs in as many states as a worker can put them in.
  await client.workPools.create.mutate({ name: "theme-pool", type: "node", concurrencyLimit: 8 });
  await client.deployments.create.mutate({ flow: "theme-flow", name: "nightly", workPool: "theme-pool", tags: ["theme"], schedules: [{ cron: "0 8 * * *" }] });
  const { workerId } = await client.workers.register.mutate({ workPool: "theme-pool", name: "theme-worker" });
  const create = (name: string) => client.flowRuns.create.mutate({ flow: "theme-flow", workPool: "theme-pool", name });
  const runs = {
    completed: await create("theme-completed"),
    failed: await create("theme-failed"),
    running: await create("theme-running"),
    paused: await create("theme-paused"),
    tasks: await create("theme-tasks"),
  };
  const claimed = await client.workers.claim.mutate({ workerId, max: 5, start: true });
  const held = claimed.filter((r) => r.id === runs.running.id || r.id === runs.paused.id);
  const lease = (id: string) => claimed.find((r) => r.id === id)!.leaseToken;
  await client.flowRuns.setState.mutate({ id: runs.completed.id, state: { type: "COMPLETED" }, leaseToken: lease(runs.completed.id) });
  await client.flowRuns.setState.mutate({ id: runs.failed.id, state: { type: "FAILED", message: "ValueError: the theme test says no" }, leaseToken: lease(runs.failed.id) });
  await client.flowRuns.setState.mutate({ id: runs.paused.id, state: { type: "PAUSED" }, leaseToken: lease(runs.paused.id) });
  await seedTasks(runs.tasks.id, lease(runs.tasks.id));
  // Claimed after the others: still pending (claimed, not started).
  await create("theme-pending");
  held.push(...(await client.workers.claim.mutate({ workerId, max: 1, start: false })));
  const beat = () => client.workers.heartbeat.mutate({ workerId, runs: held.map((r) => ({ id: r.id, leaseToken: r.leaseToken })) }).catch(() => {});
  await beat();
  heartbeat = setInterval(beat, 5_000);
  const cancelled = await create("theme-cancelled");
  await client.flowRuns.cancel.mutate({ id: cancelled.id });
  await create("theme-scheduled");
  runId = runs.failed.id;
  tasksRunId = runs.tasks.id;
}, 240_000);

/**
 * What the run page draws in colour: task runs in three states with upstream links (the graph and
 * the timeline), logs at four levels (debug, info, warning, error), a metrics chart, and a JSON result (its tree).
 */
async function seedTasks(flowRunId: string, flowRunLeaseToken: string) {
  const task = (taskKey: string, upstreamTaskRunIds: string[] = []) =>
    client.taskRuns.create.mutate({ flowRunId, taskKey, name: taskKey, upstreamTaskRunIds, flowRunLeaseToken, start: true });
  const load = await task("load");
  await client.taskRuns.setState.mutate({ id: load.id, state: { type: "COMPLETED" }, result: { value: { rows: 3 } }, flowRunLeaseToken });
  const clean = await task("clean", [load.id]);
  await client.taskRuns.setState.mutate({ id: clean.id, state: { type: "FAILED", message: "KeyError: 'name'" }, flowRunLeaseToken });
  await task("stats", [load.id]);
  const now = Date.now();
  await client.logs.create.mutate({
    logs: [10, 20, 30, 40].map((level, i) => ({
      flowRunId,
      taskRunId: i % 2 ? load.id : null,
      level,
      message: `a line at level ${level}`,
      timestamp: new Date(now + i).toISOString(),
      leaseToken: flowRunLeaseToken,
    })),
  });
  const points = [1, 2, 3, 4].flatMap((step) => [
    { name: "loss", value: 1 / step, step },
    { name: "val_loss", value: 1.2 / step, step },
  ]);
  await client.artifacts.create.mutate({ flowRunId, type: "metrics", data: { points }, leaseToken: flowRunLeaseToken });
  await client.flowRuns.setState.mutate({
    id: flowRunId,
    state: { type: "COMPLETED" },
    result: { value: { text: "hello", count: 3, ok: true, missing: null, items: [1, 2] } },
    leaseToken: flowRunLeaseToken,
  });
}

afterAll(async () => {
  clearInterval(heartbeat);
  await browser?.close();
  await baton?.stop();
});

interface Pair {
  what: string;
  text: string;
  fg: string;
  bg: string;
  ratio: number;
}

interface Audit {
  background: string;
  backgroundLuminance: number;
  body: Pair;
  texts: Pair[];
  muted: Pair[];
  links: Pair[];
  badges: (Pair & { tone: string })[];
}

/** Runs in the page: every measurement above, from computed styles. */
function audit(): Audit {
  type Rgba = [number, number, number, number];
  /** Computed colours come as rgb()/rgba(), or color(srgb …) where color-mix() made them. */
  const parse = (css: string): Rgba => {
    const rgb = css.match(/^rgba?\(([^)]+)\)$/);
    const srgb = css.match(/^color\(srgb ([^)]+)\)$/);
    const parts = (rgb ?? srgb)?.[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
    if (!parts) throw new Error(`Unreadable colour: ${css}`);
    const scale = srgb ? 255 : 1;
    return [parts[0]! * scale, parts[1]! * scale, parts[2]! * scale, parts[3] ?? 1];
  };
  const blend = (top: Rgba, under: Rgba): Rgba => {
    const a = top[3];
    return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
  };
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]: Rgba) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a: Rgba, b: Rgba) => {
    const [x, y] = [luminance(a), luminance(b)];
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const css = ([r, g, b]: Rgba) => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;

  /** What is drawn behind an element: ancestors' backgrounds, translucent ones blended down. */
  const backdrop = (el: Element): Rgba => {
    const layers: Rgba[] = [];
    for (let node: Element | null = el; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let result: Rgba = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = blend(layer, result);
    return result;
  };
  /** Text colour as drawn: a translucent colour blended onto its backdrop. */
  const pair = (what: string, el: Element, bgOf: Element = el): Pair => {
    const bg = backdrop(bgOf);
    const fg = blend(parse(getComputedStyle(el).color), bg);
    return { what, text: (el.textContent ?? "").trim().slice(0, 60), fg: css(fg), bg: css(bg), ratio: Math.round(ratio(fg, bg) * 100) / 100 };
  };
  const visible = (el: Element) => {
    const rect = el.getBoundingClientRect();
    return rect.width > 1 && rect.height > 1 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };
  const dimmed = (el: Element) => {
    for (let node: Element | null = el; node; node = node.parentElement) if (Number(getComputedStyle(node).opacity) < 1) return true;
    return false;
  };
  const label = (el: Element) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""}`;

  // The muted colour as the theme resolves it.
  const probe = document.createElement("span");
  probe.style.color = "var(--muted)";
  document.body.append(probe);
  const mutedColour = getComputedStyle(probe).color;
  probe.remove();

  const texts: Pair[] = [];
  const muted: Pair[] = [];
  for (const el of Array.from(document.body.querySelectorAll("*"))) {
    if (el.closest("svg, script, style, noscript, template") || (el as HTMLElement).closest(":disabled")) continue;
    const ownText = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
    if (!ownText || !visible(el) || dimmed(el)) continue;
    const measured = pair(label(el), el);
    texts.push(measured);
    if (getComputedStyle(el).color === mutedColour) muted.push(measured);
  }
  const links = Array.from(document.querySelectorAll("a"))
    .filter((a) => a.textContent!.trim() && visible(a) && !dimmed(a))
    .map((a) => pair(`a${a.getAttribute("href") ? `[href="${a.getAttribute("href")}"]` : ""}`, a));
  const badges = Array.from(document.querySelectorAll(".badge"))
    .filter(visible)
    .map((b) => ({ ...pair(label(b), b), tone: Array.from(b.classList).find((c) => c.startsWith("badge-")) ?? "badge" }));

  const pageBg = backdrop(document.body);
  return {
    background: css(pageBg),
    backgroundLuminance: luminance(pageBg),
    body: pair("body", document.body),
    texts,
    muted,
    links,
    badges,
  };
}

interface ThemedPage {
  name: string;
  path: () => string;
  heading: RegExp;
  badges: boolean;
  /** What to wait for (or do) once the heading is there. */
  ready?: (page: Page) => Promise<void>;
}

const PAGES: ThemedPage[] = [
  { name: "dashboard", path: () => "/", heading: /Dashboard/, badges: false, ready: (page) => page.getByTestId("runs-chart").locator("svg").first().waitFor() },
  { name: "runs", path: () => "/runs", heading: /Flow runs/, badges: true },
  { name: "run", path: () => `/runs/${runId}`, heading: /theme-failed/, badges: true },
  {
    name: "run-graph",
    path: () => `/runs/${tasksRunId}`,
    heading: /theme-tasks/,
    badges: true,
    ready: async (page) => {
      await page.getByTestId("task-graph").locator(".react-flow__node").first().waitFor();
      await page.getByTestId("metric-chart").first().waitFor();
    },
  },
  {
    name: "run-timeline",
    path: () => `/runs/${tasksRunId}`,
    heading: /theme-tasks/,
    badges: true,
    ready: async (page) => {
      await page.getByRole("tab", { name: "Timeline" }).click();
      await page.locator(".task-timeline li").first().waitFor();
    },
  },
  { name: "deployments", path: () => "/deployments", heading: /Deployments/, badges: false },
  { name: "work-pools", path: () => "/work-pools", heading: /Work pools/, badges: false },
  { name: "kinds", path: () => "/kinds", heading: /Task kinds/, badges: false },
];

const SAME_AS: Record<string, string> = { "badge-neutral": "badge-cancelled", "badge-warn": "badge-paused" };
const below = (pairs: Pair[]) => pairs.filter((p) => p.ratio < AA);

for (const scheme of ["dark", "light"] as const) {
  describe(`the ${scheme} theme`, () => {
    let page: Page;
    beforeAll(async () => {
      page = await browser.newPage({ colorScheme: scheme, viewport: { width: 1360, height: 900 } });
      page.setDefaultTimeout(15_000);
    });
    afterAll(async () => {
      await page?.close();
    });

    test.for(PAGES)(`$name: text, muted text, links and state badges reach ${AA}:1`, async ({ name, path, heading, badges, ready }, { onTestFailed }) => {
      onTestFailed(async () => {
        const file = await saveScreenshot(page, `theme-${scheme}-${name}`);
        if (file) console.error(`Screenshot: ${file}`);
        console.error(`--- Baton server output ---\n${baton.output().slice(-5000)}`);
      });
      await page.goto(`${baton.url}${path()}`);
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      await ready?.(page);
      const result = await page.evaluate(audit);
      // For a look at the theme: BATON_THEME_SCREENSHOTS=1 keeps every page under test-results/.
      if (process.env.BATON_THEME_SCREENSHOTS) await saveScreenshot(page, `theme-${scheme}-${name}`);

      if (scheme === "dark") expect(result.backgroundLuminance, `page background ${result.background}`).toBeLessThan(0.2);
      else expect(result.backgroundLuminance, `page background ${result.background}`).toBeGreaterThan(0.8);
      expect(result.body.ratio, `body text ${result.body.fg} on ${result.body.bg}`).toBeGreaterThanOrEqual(AA);

      expect(result.muted.length, "muted text on the page").toBeGreaterThan(0);
      expect(result.links.length, "links on the page").toBeGreaterThan(0);
      expect(below(result.muted), "muted text under 4.5:1").toEqual([]);
      expect(below(result.links), "links under 4.5:1").toEqual([]);
      expect(below(result.texts), "text under 4.5:1").toEqual([]);

      if (badges) expect(result.badges.length, "state badges on the page").toBeGreaterThan(0);
      expect(below(result.badges), "badges under 4.5:1").toEqual([]);
      // Told apart by colour: one background per tone, no two tones alike (neutral is cancelled's
      // grey and warn paused's orange on purpose).
      const toneBg = new Map<string, Set<string>>();
      for (const b of result.badges) {
        const tone = SAME_AS[b.tone] ?? b.tone;
        toneBg.set(tone, (toneBg.get(tone) ?? new Set()).add(b.bg));
      }
      for (const [tone, bgs] of toneBg) expect(bgs.size, `${tone}: one background`).toBe(1);
      const distinct = new Set([...toneBg.values()].map((s) => [...s][0]));
      expect(distinct.size, "a background per tone").toBe(toneBg.size);
    });

    test("the measurement itself catches text that is too faint", async () => {
      await page.goto(`${baton.url}/runs`);
      await page.getByRole("heading", { level: 1, name: /Flow runs/ }).waitFor();
      // Badge text in its own background's colour, muted text barely off the page's.
      await page.addStyleTag({ content: ".badge-completed { color: var(--badge-completed-bg) !important } .cell-sub { color: color-mix(in srgb, var(--muted) 15%, var(--bg)) !important }" });
      const result = await page.evaluate(audit);
      expect(below(result.badges).map((b) => b.what)).toContain("span.badge.badge-completed");
      expect(below(result.texts).some((t) => t.what === "div.cell-sub")).toBe(true);
    });

    test("the run list shows a badge for every state tone it was seeded with", async ({ onTestFailed }) => {
      onTestFailed(async () => {
        const file = await saveScreenshot(page, `theme-${scheme}-runs-tones`);
        if (file) console.error(`Screenshot: ${file}`);
      });
      await page.goto(`${baton.url}/runs`);
      await page.getByRole("heading", { level: 1, name: /Flow runs/ }).waitFor();
      const result = await page.evaluate(audit);
      const tones = new Set(result.badges.map((b) => b.tone));
      for (const tone of ["badge-scheduled", "badge-pending", "badge-running", "badge-paused", "badge-completed", "badge-failed", "badge-cancelled"]) {
        expect(tones, tone).toContain(tone);
      }
    });
  });
}
