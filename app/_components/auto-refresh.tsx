"use client";
/**
 * Keeps a server-rendered page fresh while something on it is moving: re-renders it through
 * `router.refresh()` (one request, no full reload, scroll and focus kept) when runs of the
 * workspace change, as the server pushes it (`live.workspace`, Server-Sent Events), at most
 * once per `minGapMs`. Where the server pushes nothing, or for what no run change announces
 * (`poll`: workers coming and going), it asks every `intervalMs` while the tab is visible. The
 * page decides when that is worth it and renders this only then, so idle pages cost nothing.
 */
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useLiveWorkspace } from "./use-live";
import { useVisibleInterval } from "./use-visible-interval";

export function AutoRefresh({
  intervalMs = 2_000,
  label = "Live",
  poll = false,
  minGapMs = 1_000,
}: {
  intervalMs?: number;
  label?: string;
  /** Ask every `intervalMs` even while changes are pushed. */
  poll?: boolean;
  minGapMs?: number;
}) {
  const router = useRouter();
  const [pushed, setPushed] = useState(true);
  useLiveWorkspace(pushed, () => router.refresh(), () => setPushed(false), minGapMs);
  useVisibleInterval(() => router.refresh(), intervalMs, poll || !pushed);
  const how = pushed ? "as runs change" : `every ${Math.round(intervalMs / 1000)} s while this tab is visible`;
  return (
    <span className="live-indicator" title={`Updating ${how}${pushed && poll ? `, and every ${Math.round(intervalMs / 1000)} s for workers` : ""}`}>
      {label}
    </span>
  );
}
