/**
 * How a run ended, as the worker reports it. One place maps the ways a run can stop to the
 * state it is reported in (or to no report at all, when the lease is gone).
 */
export type StopReason =
  /** A user cancelled it: report CANCELLED. */
  | { kind: "cancel" }
  /** The lease is gone (heartbeat said stop, or a report was refused): report nothing. */
  | { kind: "lease-lost"; detail: string }
  /** The worker is being forced down: report CRASHED so it can be retried elsewhere. */
  | { kind: "shutdown"; detail?: string }
  /** It ran past its timeout: report FAILED. */
  | { kind: "timeout"; seconds: number };

export class RunStopped extends Error {
  override name = "RunStopped";
  constructor(readonly reason: StopReason) {
    super(describeStop(reason));
  }
}

export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case "cancel":
      return "cancelled";
    case "lease-lost":
      return `lease lost: ${reason.detail}`;
    case "shutdown":
      return reason.detail ?? "the worker was stopped while running it";
    case "timeout":
      return `timed out after ${reason.seconds} s`;
  }
}

export type FinalReport =
  | { type: "COMPLETED"; resultId?: string; result?: { value: unknown }; message?: string }
  | { type: "FAILED" | "CRASHED" | "CANCELLED"; message: string }
  | undefined;

export function finalReport(
  stop: StopReason | undefined,
  outcome: { ok: true; resultId?: string; result?: { value: unknown }; message?: string } | { ok: false; error: unknown },
): FinalReport {
  if (stop) {
    if (stop.kind === "lease-lost") return undefined;
    if (stop.kind === "cancel") return { type: "CANCELLED", message: "cancelled while running" };
    if (stop.kind === "shutdown") return { type: "CRASHED", message: describeStop(stop) };
    return { type: "FAILED", message: describeStop(stop) };
  }
  if (outcome.ok) return { type: "COMPLETED", resultId: outcome.resultId, result: outcome.result, message: outcome.message };
  const err = outcome.error;
  return { type: "FAILED", message: err instanceof Error ? err.message : String(err) };
}

/** The machine-readable reason of an API error (`LEASE_LOST`, `WORKER_UNKNOWN`, …), if any. */
export function reasonOf(err: unknown): string | undefined {
  return (err as { data?: { reason?: string | null } } | undefined)?.data?.reason ?? undefined;
}

/** Whether an API error says the lease is gone (the worker must stop the run, not report it). */
export function isLeaseLost(err: unknown): boolean {
  return reasonOf(err) === "LEASE_LOST";
}
