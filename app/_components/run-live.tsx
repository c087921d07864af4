"use client";
/**
 * Keeps a run's page live while the run is active. Changes are pushed (`live.run`, Server-Sent
 * Events fed by the database's NOTIFY): new log lines are appended in place as they arrive, the
 * run's state is handed to the components that show it at once, and a change of state or of a
 * task run (or new lines, which metrics travel with) re-renders the server parts of the page, at
 * most once a second. Where the server offers no live updates, it falls back to asking every
 * 2 s (tab visible): one batched request for the run, its task runs, its newest artifact and the
 * log lines after the last one held. A finished run stops either.
 */
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { runSignature } from "@/app/_lib/run-signature";
import type { RouterOutputs } from "@/app/_lib/trpc-types";
import { useTRPCClient } from "./trpc-provider";
import { useLiveRun, type LiveRunEvent } from "./use-live";
import { useVisibleInterval } from "./use-visible-interval";

export type LogLine = RouterOutputs["logs"]["list"]["items"][number];
type LogPage = RouterOutputs["logs"]["list"];

const POLL_MS = 2_000;
const LOG_PAGE = 500;
/** A scheduled run this far off is not polled for; the page wakes up a minute before. */
const WAKE_WITHIN_MS = 60 * 60_000;

/** The run's state as last pushed (null until a change arrives: the page's own is current). */
export type LiveRunState = Extract<LiveRunEvent, { type: "run" }>["run"];

const LogsContext = createContext<{ logs: LogLine[]; live: boolean; state: LiveRunState | null }>({ logs: [], live: false, state: null });

export const useRunLogs = () => useContext(LogsContext);

/**
 * The run's state as the page should show it now: the pushed one when it is newer than what the
 * server rendered (`version`), else the rendered one. Outside a RunLive, the rendered one.
 */
export function useCurrentRunState<T extends { type: LiveRunState["stateType"]; name: string }>(rendered: T, version: number): { type: LiveRunState["stateType"]; name: string } {
  const { state } = useContext(LogsContext);
  return state && state.stateVersion > version ? { type: state.stateType, name: state.stateName } : rendered;
}
/** A re-render of the server parts at most this often while changes stream in. */
const REFRESH_GAP_MS = 1_000;

const byTime = (a: LogLine, b: LogLine) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id;

function merge(held: LogLine[], incoming: LogLine[]): LogLine[] {
  const ids = new Set(held.map((l) => l.id));
  const fresh = incoming.filter((l) => !ids.has(l.id));
  return fresh.length ? [...held, ...fresh].sort(byTime) : held;
}

export function RunLive({
  runId,
  live,
  scheduledTime,
  signature,
  initialLogs,
  children,
}: {
  runId: string;
  live: boolean;
  scheduledTime: string;
  signature: string;
  initialLogs: LogPage;
  children: ReactNode;
}) {
  const client = useTRPCClient();
  const router = useRouter();
  const [logs, setLogs] = useState(initialLogs.items);
  // Follow the run's log from the newest line the page has, in the order lines are stored.
  const lastId = useRef(initialLogs.items.reduce((max, l) => Math.max(max, l.id), 0));
  const shownSignature = useRef(signature);

  // A server re-render brings the page's signature and first page of logs up to date.
  useEffect(() => {
    shownSignature.current = signature;
    setLogs((held) => merge(held, initialLogs.items));
  }, [signature, initialLogs]);

  const [state, setState] = useState<LiveRunState | null>(null);
  const [pushed, setPushed] = useState(true);
  const refresh = useThrottledRefresh(router, REFRESH_GAP_MS);

  useLiveRun(
    runId,
    live && pushed,
    () => lastId.current,
    (event) => {
      if (event.type === "logs") {
        const items = event.items as LogLine[];
        lastId.current = Math.max(lastId.current, ...items.map((l) => l.id));
        setLogs((held) => merge(held, items));
      } else if (event.type === "run") {
        setState(event.run);
        // The state the stream starts with (what the run is now): no re-render when the page
        // already shows it.
        if (`${event.run.stateType}/${event.run.stateName}` === shownSignature.current.split("@")[0]) return;
      }
      refresh();
    },
    () => setPushed(false),
    refresh,
  );

  useVisibleInterval(
    async () => {
      const [run, taskRuns, newest, page] = await Promise.all([
        client.flowRuns.get.query({ id: runId }),
        client.taskRuns.list.query({ flowRunId: runId }),
        client.artifacts.list.query({ flowRunId: runId, limit: 1 }),
        client.logs.list.query({ flowRunId: runId, limit: LOG_PAGE, afterId: lastId.current }),
      ]);
      if (page.lastId !== null) lastId.current = Math.max(lastId.current, page.lastId);
      if (page.items.length) setLogs((held) => merge(held, page.items));
      const signatureNow = runSignature(run, taskRuns, newest[0]?.id ?? null);
      if (signatureNow !== shownSignature.current || page.items.length) {
        shownSignature.current = signatureNow;
        router.refresh();
      }
    },
    POLL_MS,
    live && !pushed,
  );

  // Not live because it is scheduled later: come back a minute before its time.
  useEffect(() => {
    if (live) return;
    const wait = Date.parse(scheduledTime) - 60_000 - Date.now();
    if (wait <= 0 || wait > WAKE_WITHIN_MS) return;
    const timer = setTimeout(() => router.refresh(), wait);
    return () => clearTimeout(timer);
  }, [live, scheduledTime, router]);

  return <LogsContext.Provider value={{ logs, live, state }}>{children}</LogsContext.Provider>;
}

/** `router.refresh()` at once for the first change, then at most once per `gapMs`. */
function useThrottledRefresh(router: { refresh(): void }, gapMs: number): () => void {
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current) return;
    const wait = last.current + gapMs - Date.now();
    const fire = () => {
      timer.current = undefined;
      last.current = Date.now();
      router.refresh();
    };
    if (wait <= 0) fire();
    else timer.current = setTimeout(fire, wait);
  };
}
