/**
 * flowRuns.list's time range and name search, with the other filters and the cursor: what they
 * select, that a search is matched literally (LIKE wildcards and regex characters are plain
 * text), and that bad input is a 400 naming its field.
 */
import { eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns } from "../../drizzle/schema";
import { escapeLike } from "../../server/domain/flow-run-list";
import { expectTrpcError, useTestApi } from "../helpers/api";

const HOUR = 3600_000;

describe("flowRuns.list filters", () => {
  const api = useTestApi();

  /** Runs of a fresh flow with these names, the i-th created i hours ago (newest first as given). */
  async function runsAged(flow: string, names: string[], opts: { workPool?: string; tags?: string[] } = {}) {
    const caller = api.caller();
    await caller.flows.create({ name: flow });
    const now = Date.now();
    const runs = [];
    for (const [i, name] of names.entries()) {
      const run = await caller.flowRuns.create({ flow, name, ...opts });
      await api.db
        .update(flowRuns)
        .set({ createdAt: new Date(now - i * HOUR - 60_000) })
        .where(eq(flowRuns.id, run.id));
      runs.push(run);
    }
    return runs;
  }
  const names = (page: { items: { name: string }[] }) => page.items.map((r) => r.name);

  it("selects runs created in a time range: after inclusive, before exclusive, with other filters", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "range-pool", type: "node" });
    const runs = await runsAged("range-flow", ["r0", "r1", "r2", "r3", "r4"], { workPool: "range-pool", tags: ["ranged"] });
    const [r0, , r2] = runs;
    const created = async (id: string) => (await api.db.select({ t: flowRuns.createdAt }).from(flowRuns).where(eq(flowRuns.id, id)))[0]!.t;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();

    expect(names(await caller.flowRuns.list({ flow: "range-flow", createdAfter: iso(now - 2.5 * HOUR) }))).toEqual(["r0", "r1", "r2"]);
    expect(names(await caller.flowRuns.list({ flow: "range-flow", createdBefore: iso(now - 2.5 * HOUR) }))).toEqual(["r3", "r4"]);
    expect(
      names(await caller.flowRuns.list({ flow: "range-flow", createdAfter: iso(now - 3.5 * HOUR), createdBefore: iso(now - 0.5 * HOUR) })),
    ).toEqual(["r1", "r2", "r3"]);
    // The bounds: a run created exactly at createdAfter is in, exactly at createdBefore is out.
    const at = (await created(r2!.id)).toISOString();
    expect(names(await caller.flowRuns.list({ flow: "range-flow", createdAfter: at }))).toEqual(["r0", "r1", "r2"]);
    expect(names(await caller.flowRuns.list({ flow: "range-flow", createdBefore: at }))).toEqual(["r3", "r4"]);
    // With pool, tags and state, and a zone other than Z.
    // The same instant written in +02:00.
    const after = `${new Date(now - 1.5 * HOUR + 2 * HOUR).toISOString().slice(0, 23)}+02:00`;
    expect(names(await caller.flowRuns.list({ workPool: "range-pool", tags: ["ranged"], states: ["SCHEDULED"], createdAfter: after }))).toEqual(["r0", "r1"]);
    await caller.flowRuns.cancel({ id: r0!.id });
    expect(names(await caller.flowRuns.list({ flow: "range-flow", states: ["CANCELLED"], createdAfter: iso(now - 10 * HOUR) }))).toEqual(["r0"]);
    expect((await caller.flowRuns.list({ flow: "range-flow", createdAfter: iso(now + HOUR) })).items).toEqual([]);
  });

  it("pages through a time range and a search with the cursor, no run twice and none left out", async () => {
    const caller = api.caller();
    const all = await runsAged(
      "page-range",
      Array.from({ length: 9 }, (_, i) => (i % 3 === 2 ? `other-${i}` : `batch-${i}`)),
    );
    const now = Date.now();
    const input = { flow: "page-range", search: "BATCH", createdAfter: new Date(now - 7.5 * HOUR).toISOString(), limit: 2 };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { name: string }[]; nextCursor: string | null } = await caller.flowRuns.list({ ...input, cursor });
      seen.push(...names(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    // batch-0,1,3,4,6,7 are in the range and match; other-* do not; batch-8 is too old.
    expect(seen).toEqual(["batch-0", "batch-1", "batch-3", "batch-4", "batch-6", "batch-7"]);
    expect(pages).toBe(3);
    expect(all).toHaveLength(9);
  });

  it("searches names case-insensitively as a part of the name, taking wildcards and regex characters literally", async () => {
    const caller = api.caller();
    await runsAged("search-flow", [
      "Crimson-Fox",
      "sleepy-fox",
      "fox_trot",
      "foxXtrot",
      "50%_off",
      "50 percent off",
      "a.b*c(d)",
      "aXb*c(d)",
      "back\\slash",
      "o'brien",
    ]);
    const search = async (s: string) => names(await caller.flowRuns.list({ flow: "search-flow", search: s })).sort();
    expect(await search("fox")).toEqual(["Crimson-Fox", "fox_trot", "foxXtrot", "sleepy-fox"].sort());
    expect(await search("crimson-FOX")).toEqual(["Crimson-Fox"]);
    // `_` and `%` are characters, not LIKE wildcards.
    expect(await search("fox_")).toEqual(["fox_trot"]);
    expect(await search("50%")).toEqual(["50%_off"]);
    expect(await search("%")).toEqual(["50%_off"]);
    expect(await search("_")).toEqual(["50%_off", "fox_trot"].sort());
    // Regex characters are characters too, and so are the escape character and quotes.
    expect(await search("a.b*c(d)")).toEqual(["a.b*c(d)"]);
    expect(await search(".*")).toEqual([]);
    expect(await search("back\\")).toEqual(["back\\slash"]);
    expect(await search("\\")).toEqual(["back\\slash"]);
    expect(await search("o'b")).toEqual(["o'brien"]);
    // Blank and surrounding spaces: a blank search is no search.
    expect(await search("  fox  ")).toHaveLength(4);
    expect(await search("   ")).toHaveLength(10);
    expect(await search("no-such-run")).toEqual([]);
  });

  it("pages through several states at once, newest first, with no run twice and none left out", async () => {
    const caller = api.caller();
    const runs = await runsAged("multi-state", Array.from({ length: 12 }, (_, i) => `ms-${i}`));
    // ms-0,3,6,9 cancelled; ms-1,4,7,10 running; the rest stay scheduled.
    for (const [i, run] of runs.entries()) {
      if (i % 3 === 0) await caller.flowRuns.cancel({ id: run.id });
      if (i % 3 === 1) await api.db.update(flowRuns).set({ stateType: "RUNNING", stateName: "Running" }).where(eq(flowRuns.id, run.id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: { items: { name: string; stateType: string }[]; nextCursor: string | null } = await caller.flowRuns.list({
        flow: "multi-state",
        states: ["CANCELLED", "RUNNING", "CANCELLED"],
        limit: 3,
        cursor,
      });
      expect(page.items.every((r) => r.stateType === "CANCELLED" || r.stateType === "RUNNING")).toBe(true);
      seen.push(...names(page));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(["ms-0", "ms-1", "ms-3", "ms-4", "ms-6", "ms-7", "ms-9", "ms-10"]);
    expect(names(await caller.flowRuns.list({ flow: "multi-state", states: ["PAUSED", "CRASHED"] }))).toEqual([]);
    expect(names(await caller.flowRuns.list({ flow: "multi-state", states: ["SCHEDULED", "RUNNING"], search: "ms-1" }))).toEqual(["ms-1", "ms-10", "ms-11"]);
  });

  it("combines a search with state, flow, deployment, pool and tags", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "combo-pool", type: "node" });
    await caller.deployments.create({ flow: "combo-flow", name: "dep", workPool: "combo-pool" });
    const fromDeployment = await caller.deployments.run({ deployment: "combo-flow/dep", name: "nightly-1", tags: ["prod"] });
    await caller.deployments.run({ deployment: "combo-flow/dep", name: "nightly-2" });
    await caller.flowRuns.create({ flow: "combo-flow", name: "nightly-adhoc", tags: ["prod"] });
    const list = (input: Parameters<typeof caller.flowRuns.list>[0]) => caller.flowRuns.list(input).then((p) => names(p).sort());
    expect(await list({ search: "nightly", flow: "combo-flow" })).toEqual(["nightly-1", "nightly-2", "nightly-adhoc"]);
    expect(await list({ search: "nightly", deployment: "combo-flow/dep" })).toEqual(["nightly-1", "nightly-2"]);
    expect(await list({ search: "nightly", workPool: "combo-pool", tags: ["prod"] })).toEqual(["nightly-1"]);
    await caller.flowRuns.cancel({ id: fromDeployment.id });
    expect(await list({ search: "NIGHTLY", flow: "combo-flow", states: ["CANCELLED"] })).toEqual(["nightly-1"]);
  });

  it("refuses a bad time or an over-long search with a 400 naming the field", async () => {
    const client = api.client();
    const bad = async (input: Record<string, unknown>, field: string, message: RegExp) => {
      const err = await expectTrpcError(client.flowRuns.list.query(input as never), "BAD_REQUEST", message);
      expect(err.message).toContain(field);
    };
    await bad({ createdAfter: "yesterday" }, "createdAfter", /createdAfter: must be an ISO-8601 date-time/);
    await bad({ createdBefore: "2026-13-45T99:00:00Z" }, "createdBefore", /createdBefore: must be an ISO-8601 date-time/);
    await bad({ createdAfter: "2026-11-30T10:00:00" }, "createdAfter", /createdAfter: must be an ISO-8601 date-time with a timezone/);
    await bad({ createdAfter: 1700000000000 }, "createdAfter", /createdAfter/);
    await bad(
      { createdAfter: "2026-11-30T10:00:00Z", createdBefore: "2026-11-30T09:00:00Z" },
      "createdBefore",
      /createdBefore: must be later than createdAfter/,
    );
    await bad({ createdAfter: "2026-11-30T10:00:00Z", createdBefore: "2026-11-30T10:00:00Z" }, "createdBefore", /later than/);
    await bad({ search: "x".repeat(201) }, "search", /search: must be at most 200 characters/);
    await bad({ search: 42 }, "search", /search/);
    // The longest allowed search, full of wildcards and backtracking bait, answers quickly and finds nothing.
    const hostile = "%_".repeat(50) + "(a+)+$".repeat(16) + "\\".repeat(4);
    expect(hostile.length).toBeLessThanOrEqual(200);
    const started = Date.now();
    expect((await client.flowRuns.list.query({ search: hostile })).items).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("has the trigram index that serves the name search, on every driver", async () => {
    // The index exists wherever the migrations ran (pg_trgm on PostgreSQL and on PGlite).
    const result: unknown = await api.db.execute(sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'flow_runs_name_trgm_idx'`);
    const defs = ((result as { rows?: unknown[] }).rows ?? result) as { indexdef: string }[];
    expect(defs[0]?.indexdef).toMatch(/gin \(name gin_trgm_ops\)/);
    await runsAged("trgm-flow", ["needle-in-haystack"]);
    const ids = (await api.caller().flowRuns.list({ search: "in-hay" })).items.map((r) => r.id);
    expect(ids).toHaveLength(1);
    const [run] = await api.db.select({ name: flowRuns.name }).from(flowRuns).where(inArray(flowRuns.id, ids));
    expect(run!.name).toBe("needle-in-haystack");
  });

  it("escapes exactly the LIKE wildcards and the escape character", () => {
    expect(escapeLike("50%_off\\")).toBe("50\\%\\_off\\\\");
    expect(escapeLike("a.b*c(d)[e]^$'")).toBe("a.b*c(d)[e]^$'");
  });
});
