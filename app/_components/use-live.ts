"use client";
/**
 * Live updates for client components: `live.*` subscriptions (Server-Sent Events fed by the
 * server's LISTEN/NOTIFY, server/live/change-feed.ts) instead of polling. Where the server does
 * not offer them (a bare `next dev`) or the stream fails, `onUnavailable` is called once so the
 * caller can fall back to polling.
 *
 * A stream is held only while the tab is visible: over HTTP/1.1 a browser opens at most six
 * connections to one server, and a stream holds one for as long as it is open, so a handful of
 * background tabs would otherwise leave none for the page in front. Coming back, the stream
 * reopens (a run's from its last log line) and `onResume` lets the page catch up on the rest.
 */
import { useEffect, useRef, useState } from "react";
import type { LiveRunEvent } from "@/server/api/routers/live";
import { useTRPCClient } from "./trpc-provider";

export type { LiveRunEvent };

/** Whether the tab is visible; after it was hidden, `onResume` is called when it is shown again. */
function useTabVisible(onResume: () => void): boolean {
  const [visible, setVisible] = useState(true);
  const resume = useRef(onResume);
  useEffect(() => {
    resume.current = onResume;
  });
  useEffect(() => {
    const update = () => {
      const now = document.visibilityState !== "hidden";
      setVisible((was) => {
        if (now && !was) resume.current();
        return now;
      });
    };
    update();
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, []);
  return visible;
}

export function useLiveRun(
  runId: string,
  wanted: boolean,
  afterLogId: () => number,
  onEvent: (event: LiveRunEvent) => void,
  onUnavailable: () => void,
  onResume: () => void,
): void {
  const client = useTRPCClient();
  const handlers = useRef({ afterLogId, onEvent, onUnavailable });
  useEffect(() => {
    handlers.current = { afterLogId, onEvent, onUnavailable };
  });
  const enabled = useTabVisible(onResume) && wanted;
  useEffect(() => {
    if (!enabled) return;
    const sub = client.live.run.subscribe(
      { id: runId, afterLogId: handlers.current.afterLogId() },
      {
        onData: (tracked) => handlers.current.onEvent(tracked.data),
        onError: () => handlers.current.onUnavailable(),
      },
    );
    return () => sub.unsubscribe();
  }, [client, runId, enabled]);
}

/** Calls `onChange` (at most once per `minGapMs`) when runs of the workspace change. */
export function useLiveWorkspace(wanted: boolean, onChange: () => void, onUnavailable: () => void, minGapMs = 1_000): void {
  const client = useTRPCClient();
  const handlers = useRef({ onChange, onUnavailable });
  useEffect(() => {
    handlers.current = { onChange, onUnavailable };
  });
  const enabled = useTabVisible(() => (wanted ? onChange() : undefined)) && wanted;
  useEffect(() => {
    if (!enabled) return;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = () => {
      timer = undefined;
      last = Date.now();
      handlers.current.onChange();
    };
    const sub = client.live.workspace.subscribe(undefined, {
      onData: () => {
        if (timer) return;
        const wait = last + minGapMs - Date.now();
        if (wait <= 0) fire();
        else timer = setTimeout(fire, wait);
      },
      onError: () => handlers.current.onUnavailable(),
    });
    return () => {
      clearTimeout(timer);
      sub.unsubscribe();
    };
  }, [client, enabled, minGapMs]);
}
