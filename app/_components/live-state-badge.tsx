"use client";
/**
 * The run's state badge in its page's header: the state the server rendered, replaced the moment
 * a newer one is pushed (RunLive), before the rest of the page has re-rendered.
 */
import type { StateType } from "@/app/_lib/trpc-types";
import { useCurrentRunState } from "./run-live";
import { StateBadge } from "./state-badge";

export function LiveStateBadge({ type, name, version }: { type: StateType; name: string; version: number }) {
  const current = useCurrentRunState({ type, name }, version);
  return <StateBadge type={current.type} name={current.name} />;
}
