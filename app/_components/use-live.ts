"use client";
/**
 * Live updates for client components: `live.*` subscriptions (Server-Sent Events fed by the
 * server's LISTEN/NOTIFY, server/live/change-feed.ts) instead of polling. Where the server does
 * not offer them (a bare `next dev`) or the stream fails, `onUnavailable` is called once so the
 * caller can fall back to polling.
 */
import { useEffect, useRef } from "react";
import type { LiveRunEvent } from "@/server/api/routers/live";
import { useTRPCClient } from "./trpc-provider";

export type { LiveRunEvent };

export function useLiveRun(
  runId: string,
  enabled: boolean,
  afterLogId: () => number,
  onEvent: (event: LiveRunEvent) => void,
  onUnavailable: () => void,
): void {
  const client = useTRPCClient();
  const handlers = useRef({ afterLogId, onEvent, onUnavailable });
  useEffect(() => {
    handlers.current = { afterLogId, onEvent, onUnavailable };
  });
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
export function useLiveWorkspace(enabled: boolean, onChange: () => void, onUnavailable: () => void, minGapMs = 1_000): void {
  const client = useTRPCClient();
  const handlers = useRef({ onChange, onUnavailable });
  useEffect(() => {
    handlers.current = { onChange, onUnavailable };
  });
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
