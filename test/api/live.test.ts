/**
 * Live updates over real HTTP: `live.run` and `live.workspace` as Server-Sent Events, fed by
 * the database's NOTIFY through one change feed. Read as a browser's EventSource would, from the
 * raw stream.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifacts, flowRuns, logs } from "../../drizzle/schema";
import { loadEngineSettings } from "../../server/engine/settings";
import { setRunState } from "../../server/engine/transitions";
import { ChangeFeed } from "../../server/live/change-feed";
import { useTestDatabase } from "../helpers/db";
import { startHttpApiServer, type HttpApiServer } from "../helpers/http-api-server";
import { WS, seedFlow, seedPool, seedRuns } from "../helpers/seed";

interface SseEvent {
  id?: string;
  event?: string;
  data?: unknown;
  at: number;
}

/** Opens an SSE subscription and collects its events until `close()`. */
function subscribe(apiUrl: string, path: string, input?: unknown, lastEventId?: string) {
  const events: SseEvent[] = [];
  const abort = new AbortController();
  const url = `${apiUrl}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;
  const opened = fetch(url, { headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) }, signal: abort.signal }).then(async (res) => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const e: SseEvent = { at: Date.now() };
            for (const line of block.split("\n")) {
              const [field, ...rest] = line.split(":");
              const value = rest.join(":").replace(/^ /, "");
              if (field === "id") e.id = value;
              else if (field === "event") e.event = value;
              else if (field === "data") e.data = value ? JSON.parse(value) : undefined;
            }
            events.push(e);
          }
        }
      } catch {
        /* aborted */
      }
    })();
    return res;
  });
  const data = () => events.filter((e) => !e.event && e.data !== undefined).map((e) => e.data as Record<string, unknown>);
  return {
    opened,
    events,
    data,
    async until<T>(pick: (d: Record<string, unknown>[]) => T | undefined, ms = 10_000): Promise<T> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = pick(data());
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such event within ${ms} ms; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => abort.abort(),
  };
}

describe("live updates (SSE, LISTEN/NOTIFY, one fan-out)", () => {
  const t = useTestDatabase();
  const feed = new ChangeFeed(() => t.database.db);
  let server: HttpApiServer;
  beforeAll(async () => {
    await feed.start(t.database);
    server = await startHttpApiServer(() => t.database.db, () => ({ settings: loadEngineSettings(), live: feed }));
  });
  afterAll(async () => {
    await server.close();
    await feed.stop();
  });

  async function aRun(name: string) {
    const db = t.database.db;
    const flow = await seedFlow(db, name);
    const { pool, defaultQueue } = await seedPool(db, `${name}-pool`);
    const [run] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id });
    return run!;
  }
  const addLogs = (flowRunId: string, messages: string[]) =>
    t.database.db.insert(logs).values(messages.map((message) => ({ workspaceId: WS, flowRunId, level: 20, message }))).returning({ id: logs.id });
  const waitFollowers = async (n: number) => {
    while (feed.followers < n) await new Promise((r) => setTimeout(r, 5));
  };

  it("a run's page hears its state change and new log lines, after catching up from where it stood", async () => {
    const run = await aRun("live-one");
    const [first] = await addLogs(run.id, ["before the page opened", "also before"]);
    const sub = subscribe(server.apiUrl, "live.run", { id: run.id, afterLogId: first!.id });
    await sub.opened;
    // Catch-up: only the line after the one the page had.
    const caught = await sub.until((d) => d.find((e) => e.type === "logs"));
    expect((caught.items as { message: string }[]).map((l) => l.message)).toEqual(["also before"]);
    await waitFollowers(1);
    // Then the run's state as it is now: a change between the page's render and the stream's
    // start would otherwise reach nobody.
    const now = await sub.until((d) => d.find((e) => e.type === "run"));
    expect(now.run).toMatchObject({ id: run.id, stateType: run.stateType, stateName: run.stateName });

    await setRunState({ db: t.database.db, workspaceId: WS, runId: run.id, kind: "flow", actor: "test", to: { type: "RUNNING" } });
    const changed = await sub.until((d) => d.find((e) => e.type === "run" && (e.run as { stateType: string }).stateType === "RUNNING"));
    expect(changed.run).toMatchObject({ id: run.id, stateType: "RUNNING", stateName: "Running" });

    await addLogs(run.id, ["one", "two"]);
    const fresh = await sub.until((d) => d.filter((e) => e.type === "logs")[1]);
    expect((fresh.items as { message: string }[]).map((l) => l.message)).toEqual(["one", "two"]);
    // Its SSE id is the newest log id handed out: a reconnect resumes after it.
    const [newest] = await t.database.db.select({ id: logs.id }).from(logs).where(eq(logs.flowRunId, run.id)).orderBy(logs.id);
    expect(Number(sub.events.filter((e) => e.id).at(-1)!.id)).toBeGreaterThan(newest!.id);

    // Metrics arrive as artifacts: the page hears that too.
    await t.database.db.insert(artifacts).values({ workspaceId: WS, flowRunId: run.id, type: "metrics", key: "m", data: { points: [] } });
    await sub.until((d) => d.find((e) => e.type === "artifacts"));
    sub.close();
  });

  it("a reconnect with Last-Event-ID gets the lines it missed, once", async () => {
    const run = await aRun("live-resume");
    const [a] = await addLogs(run.id, ["seen"]);
    await addLogs(run.id, ["missed while away"]);
    const sub = subscribe(server.apiUrl, "live.run", { id: run.id }, String(a!.id));
    const caught = await sub.until((d) => d.find((e) => e.type === "logs"));
    expect((caught.items as { message: string }[]).map((l) => l.message)).toEqual(["missed while away"]);
    sub.close();
  });

  it("a hundred pages on one run cost the queries of one", async () => {
    const run = await aRun("live-hundred");
    const cost = async (pages: number) => {
      const subs = Array.from({ length: pages }, () => subscribe(server.apiUrl, "live.run", { id: run.id, afterLogId: 2 ** 40 }));
      await Promise.all(subs.map((s) => s.opened));
      await waitFollowers(pages);
      // Each page's stream starts with the run's state (one read per page opened, not per change).
      for (const s of subs) await s.until((d) => d.find((e) => e.type === "run"));
      const before = feed.stats.queries;
      await addLogs(run.id, [`to ${pages} pages`]);
      await setRunState({ db: t.database.db, workspaceId: WS, runId: run.id, kind: "flow", actor: "test", to: { type: "PENDING" } });
      for (const s of subs) await s.until((d) => d.find((e) => e.type === "logs") && d.find((e) => e.type === "run" && (e.run as { stateType: string }).stateType === "PENDING"));
      const queries = feed.stats.queries - before;
      for (const s of subs) s.close();
      while (feed.followers > 0) await new Promise((r) => setTimeout(r, 5));
      return queries;
    };
    const one = await cost(1);
    await t.database.db.update(flowRuns).set({ stateType: "SCHEDULED", stateName: "Scheduled" }).where(eq(flowRuns.id, run.id));
    await new Promise((r) => setTimeout(r, 200)); // (that reset's own notice, heard by nobody)
    const hundred = await cost(100);
    expect(one).toBeGreaterThan(0);
    expect(hundred).toBe(one);
  });

  it("a workspace page hears that runs changed; an unknown run is refused with NOT_FOUND", async () => {
    const sub = subscribe(server.apiUrl, "live.workspace");
    await sub.opened;
    await waitFollowers(1);
    const run = await aRun("live-list");
    const heard = await sub.until((d) => d.find((e) => e.type === "runs" && (e.ids as string[] | null)?.includes(run.id)));
    expect(heard).toBeTruthy();
    sub.close();

    const missing = subscribe(server.apiUrl, "live.run", { id: "00000000-0000-4000-8000-00000000dead" });
    await missing.opened;
    const deadline = Date.now() + 5_000;
    while (!missing.events.some((e) => e.event === "serialized-error") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const error = missing.events.find((e) => e.event === "serialized-error");
    expect(error?.data).toMatchObject({ data: { code: "NOT_FOUND", httpStatus: 404, field: "id" } });
    expect(JSON.stringify(error?.data)).toMatch(/was not found/);
    missing.close();
  });
});
