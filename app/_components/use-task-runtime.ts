"use client";
/**
 * One task Web Worker per page that runs task kinds (the workbench, a notebook), started after
 * mount (workers exist only in the browser) and terminated when the page goes; its runtime facts
 * (WebGPU adapter, isolation).
 */
import { useEffect, useState } from "react";
import { startTaskRuntime, type RuntimeInfo, type TaskRuntime } from "@/workers/browser/client";

/** `enabled` false: no worker (a page whose reader may not run anything, such as a viewer's notebook). */
export function useTaskRuntime(enabled = true): { runtime?: TaskRuntime; info?: RuntimeInfo; error?: string } {
  const [state, setState] = useState<{ runtime?: TaskRuntime; info?: RuntimeInfo; error?: string }>({});
  useEffect(() => {
    if (!enabled) return;
    const runtime = startTaskRuntime();
    let live = true;
    runtime.info().then(
      (info) => live && setState({ runtime, info }),
      (err: Error) => live && setState({ error: `The task worker did not start: ${err.message}` }),
    );
    return () => {
      live = false;
      runtime.terminate();
    };
  }, [enabled]);
  return state;
}
