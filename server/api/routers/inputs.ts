/**
 * zod pieces the routers share beyond those in ../trpc.ts: refs, ISO dates in, JSON objects,
 * state types, cursors.
 */
import { z } from "zod";
import { zDate } from "../trpc";
import { STATE_TYPES } from "../../engine/states";

/** An id or a name; `what` makes the message say which thing was missing. */
export const zRef = (what: string) => z.string().trim().min(1, `must name a ${what}`).max(400);

/** An ISO-8601 timestamp with a zone (`2026-01-02T03:04:05Z`), parsed to a Date. */
export const zIsoDateInput = z
  .iso.datetime({ offset: true, error: "must be an ISO-8601 date-time with a timezone, e.g. 2026-01-02T03:04:05Z" })
  .transform((s) => new Date(s));

export const zJsonObject = z.record(z.string(), z.unknown(), { error: "must be a JSON object" });

export const zStateType = z.enum(STATE_TYPES, { error: `must be one of ${STATE_TYPES.join(", ")}` });

export const zCursor = z.string().max(2000).nullish();

export const zPriority = z.number().int("must be a whole number").min(-1_000_000).max(1_000_000);

export const zNullableDate = z.date().nullable().transform((d) => (d ? d.toISOString() : null));

export const deletedOutput = z.object({ deleted: z.literal(true) });

/** The output fields every run has, flow run or task run: its state and its timings. */
export const runFields = {
  stateType: zStateType,
  stateName: z.string(),
  stateMessage: z.string().nullable(),
  /** Goes up by one with every state change: a newer copy of the run has a higher one. */
  stateVersion: z.number().int(),
  priority: z.number().int(),
  scheduledTime: zDate,
  startTime: zNullableDate,
  endTime: zNullableDate,
  runCount: z.number().int(),
  maxRetries: z.number().int(),
  parameters: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  createdAt: zDate,
  updatedAt: zDate,
};

/** A small result sent with the state change that completes a run: `{ value: <JSON> }`. */
export const zInlineResult = z.object({ value: z.unknown() }, { error: "must be { value: <JSON> }" });
