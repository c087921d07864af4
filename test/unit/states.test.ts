import { describe, expect, it } from "vitest";
import { checkTransition, DEFAULT_STATE_NAMES, STATE_TYPES, type StateType } from "../../server/engine/states";

/**
 * The transition rules, written out again here on purpose: a change to the machine must change
 * this table too, so it cannot happen by accident.
 */
const ALLOWED: Record<StateType, StateType[]> = {
  SCHEDULED: ["SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  PENDING: ["SCHEDULED", "RUNNING", "PAUSED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  RUNNING: ["COMPLETED", "FAILED", "CRASHED", "CANCELLING", "CANCELLED", "PAUSED", "SCHEDULED"],
  PAUSED: ["RUNNING", "SCHEDULED", "CANCELLING", "CANCELLED", "FAILED", "CRASHED"],
  CANCELLING: ["CANCELLED", "CRASHED"],
  FAILED: ["SCHEDULED"],
  CRASHED: ["SCHEDULED"],
  COMPLETED: [],
  CANCELLED: [],
};

const at = (type: StateType, name = DEFAULT_STATE_NAMES[type]) => ({ type, name });

function expectedReason(from: StateType, to: StateType): string | undefined {
  const fromName = DEFAULT_STATE_NAMES[from];
  if (!ALLOWED[from].includes(to)) {
    if (ALLOWED[from].length === 0) return `the run is already ${fromName} (${from}), a final state`;
    const rest = ALLOWED[from].filter((t) => t !== from).join(", ");
    return `a ${from} run cannot become ${to}; from ${from} it can only become ${rest}`;
  }
  if (from === to) return `the run is already ${fromName} (${from})`;
  return undefined;
}

const matrix = STATE_TYPES.flatMap((from) => STATE_TYPES.map((to) => ({ from, to, reason: expectedReason(from, to) })));

describe("checkTransition", () => {
  it("covers every pair of state types", () => {
    expect(matrix).toHaveLength(81);
    expect(matrix.filter((c) => !c.reason)).toHaveLength(
      Object.values(ALLOWED).reduce((n, list) => n + list.length, 0) - 1, // SCHEDULED→Scheduled is a no-op
    );
  });

  it.each(matrix.filter((c) => !c.reason))("allows $from → $to", ({ from, to }) => {
    expect(checkTransition(at(from), { type: to })).toEqual({ ok: true });
  });

  it.each(matrix.filter((c) => c.reason))("refuses $from → $to, saying why", ({ from, to, reason }) => {
    expect(checkTransition(at(from), { type: to })).toEqual({ ok: false, reason });
  });

  it.each([
    // Renames within a type.
    { from: at("SCHEDULED"), to: { type: "SCHEDULED", name: "Late" }, ok: true },
    { from: at("SCHEDULED", "Late"), to: { type: "SCHEDULED" }, ok: true },
    { from: at("RUNNING"), to: { type: "SCHEDULED", name: "AwaitingRetry" }, ok: true },
    { from: at("SCHEDULED", "AwaitingRetry"), to: { type: "RUNNING", name: "Retrying" }, ok: true },
    { from: at("FAILED"), to: { type: "SCHEDULED", name: "AwaitingRetry" }, ok: true },
    { from: at("SCHEDULED", "Late"), to: { type: "SCHEDULED", name: "Late" }, reason: "the run is already Late (SCHEDULED)" },
    // A name that belongs to another type.
    {
      from: at("SCHEDULED"),
      to: { type: "PENDING", name: "Late" },
      reason: "a state named Late must be of type SCHEDULED, not PENDING",
    },
    {
      from: at("PENDING"),
      to: { type: "SCHEDULED", name: "Retrying" },
      reason: "a state named Retrying must be of type RUNNING, not SCHEDULED",
    },
    {
      from: at("COMPLETED"),
      to: { type: "RUNNING", name: "AwaitingRetry" },
      reason: "a state named AwaitingRetry must be of type SCHEDULED, not RUNNING",
    },
    // A RUNNING run cannot be renamed Retrying in place: a retry goes through SCHEDULED.
    {
      from: at("RUNNING"),
      to: { type: "RUNNING", name: "Retrying" },
      reason: "a RUNNING run cannot become RUNNING; from RUNNING it can only become COMPLETED, FAILED, CRASHED, CANCELLING, CANCELLED, PAUSED, SCHEDULED",
    },
    // Final states name the run's own state name.
    { from: at("CANCELLED", "Cancelled"), to: { type: "SCHEDULED" }, reason: "the run is already Cancelled (CANCELLED), a final state" },
  ] as const)("$from.name → $to.type $to.name", (c) => {
    const result = checkTransition(c.from, c.to);
    if ("ok" in c) expect(result).toEqual({ ok: true });
    else expect(result).toEqual({ ok: false, reason: c.reason });
  });

  it("custom names of a type are free-form", () => {
    expect(checkTransition(at("RUNNING"), { type: "FAILED", name: "TimedOut" })).toEqual({ ok: true });
    expect(checkTransition(at("FAILED", "TimedOut"), { type: "SCHEDULED" })).toEqual({ ok: true });
  });
});
