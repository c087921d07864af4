import { describe, expect, it } from "vitest";
import { CliError } from "../../cli/errors";
import { collectParameters, parseDuration, parseParam, scheduledTimeFrom } from "../../cli/params";

describe("--param", () => {
  it.each([
    ["count=3", "count", 3],
    ["ratio=0.5", "ratio", 0.5],
    ["flag=true", "flag", true],
    ["nothing=null", "nothing", null],
    ['tags=["a","b"]', "tags", ["a", "b"]],
    ['opts={"deep":{"x":1}}', "opts", { deep: { x: 1 } }],
    ["name=Ada Lovelace", "name", "Ada Lovelace"],
    ['quoted="3"', "quoted", "3"],
    ["url=http://x/?a=b", "url", "http://x/?a=b"],
    ["empty=", "empty", ""],
    ["bad={not json", "bad", "{not json"],
  ])("%s → %j", (text, key, value) => {
    expect(parseParam(text)).toEqual([key, value]);
  });

  it("refuses text without KEY=", () => {
    expect(() => parseParam("count")).toThrow(CliError);
    expect(() => parseParam("=3")).toThrow(/--param must be KEY=VALUE \(got "=3"\)/);
  });

  it("overlays --param on --params, later wins", () => {
    expect(collectParameters({ params: '{"a":1,"b":2}', param: ["b=3", "c=x", "c=y"] })).toEqual({ a: 1, b: 3, c: "y" });
    expect(collectParameters({})).toBeUndefined();
  });

  it("wants --params to be a JSON object", () => {
    expect(() => collectParameters({ params: "[1]" })).toThrow(/must be a JSON object/);
    expect(() => collectParameters({ params: "{" })).toThrow(/--params is not valid JSON/);
  });
});

describe("--start-in and --start-at", () => {
  const now = new Date("2026-11-03T12:00:00Z");

  it.each([
    ["10 minutes", 600_000],
    ["in 2 hours", 7_200_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["1.5 days", 129_600_000],
    ["1 week", 604_800_000],
    ["2 hours and 5 minutes", 7_500_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["soon", "10", "", "5 fortnights"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/--start-in must be a duration/);
  });

  it("gives an ISO time, or undefined for now", () => {
    expect(scheduledTimeFrom({ startIn: "10 minutes" }, now)).toBe("2026-11-03T12:10:00.000Z");
    expect(scheduledTimeFrom({ startAt: "2026-12-01T08:30:00Z" }, now)).toBe("2026-12-01T08:30:00.000Z");
    expect(scheduledTimeFrom({ startAt: "2026-12-01T08:30:00+02:00" }, now)).toBe("2026-12-01T06:30:00.000Z");
    expect(scheduledTimeFrom({}, now)).toBeUndefined();
  });

  it("refuses a time that is not ISO 8601, and both options at once", () => {
    expect(() => scheduledTimeFrom({ startAt: "tomorrow" })).toThrow(/--start-at must be an ISO 8601 time/);
    expect(() => scheduledTimeFrom({ startAt: "2026-13-45T00:00:00Z" })).toThrow(/not a valid time/);
    expect(() => scheduledTimeFrom({ startIn: "1m", startAt: "2026-12-01" })).toThrow(/not both/);
  });
});
