import { describe, expect, it } from "vitest";
import { formatState } from "../../cli/output/state";
import { colourEnabled, createStyle, stripAnsi } from "../../cli/output/style";
import { renderDetails, renderTable, truncate, type Column } from "../../cli/output/table";
import { relativeTime } from "../../cli/output/time";

interface Row {
  id: string;
  name: string;
  count: number | null;
}

const plain = createStyle(false);
const colour = createStyle(true);
const columns: Column<Row>[] = [
  { header: "NAME", value: (r) => r.name },
  { header: "COUNT", value: (r) => r.count ?? "-", align: "right" },
  { header: "ID", value: (r) => r.id, shrink: false },
];
const rows: Row[] = [
  { id: "aaaa-1111", name: "a very long pool name indeed", count: 12 },
  { id: "bbbb-2222", name: "gpu", count: null },
];

describe("renderTable", () => {
  it("aligns columns, right-aligns numbers and leaves no trailing spaces", () => {
    expect(renderTable(rows, columns, { style: plain }).split("\n")).toEqual([
      "NAME                          COUNT  ID",
      "a very long pool name indeed     12  aaaa-1111",
      "gpu                               -  bbbb-2222",
    ]);
  });

  it("truncates the widest shrinkable column with … to fit the width, never the ids", () => {
    const lines = renderTable(rows, columns, { style: plain, maxWidth: 30 }).split("\n");
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(30);
    expect(lines[1]).toBe("a very long…     12  aaaa-1111");
    expect(lines[2]).toBe("gpu               -  bbbb-2222");
  });

  it("stops shrinking at a column's minimum and lets the line run long", () => {
    const lines = renderTable(rows, columns, { style: plain, maxWidth: 5 }).split("\n");
    expect(lines[1]).toMatch(/^a ver…\s+12  aaaa-1111$/);
  });

  it("measures before colouring, so escape codes do not move columns", () => {
    const painted = renderTable(rows, [{ ...columns[0]!, paint: () => colour.red }, columns[1]!, columns[2]!], {
      style: colour,
    });
    expect(painted).toContain("\u001b[31mgpu\u001b[39m");
    expect(stripAnsi(painted)).toBe(renderTable(rows, columns, { style: plain }));
  });

  it("keeps a row on one line when a value has newlines", () => {
    const out = renderTable([{ id: "x", name: "two\nlines", count: 1 }], columns, { style: plain });
    expect(out.split("\n")).toHaveLength(2);
    expect(out).toContain("two lines");
  });

  it("prints only the header for no rows", () => {
    expect(renderTable([], columns, { style: plain })).toBe("NAME  COUNT  ID");
  });
});

describe("truncate, details, colour and states", () => {
  it("truncates by code points", () => {
    expect(truncate("héllo wörld", 6)).toBe("héllo…");
    expect(truncate("short", 10)).toBe("short");
    expect(truncate("ab", 1)).toBe("a");
  });

  it("renders aligned details, leaving out undefined and dashing empty values", () => {
    expect(
      renderDetails(
        [
          ["Name", "gpu"],
          ["Concurrency limit", 4],
          ["Description", null],
          ["Hidden", undefined],
        ],
        { style: plain },
      ),
    ).toBe(["Name:               gpu", "Concurrency limit:  4", "Description:        -"].join("\n"));
  });

  it("uses colour only on a terminal, and never with NO_COLOR", () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(plain.red("x")).toBe("x");
  });

  it("colours states by type and shows the state's own name", () => {
    expect(formatState("COMPLETED", "Completed", colour)).toBe("\u001b[32mCompleted\u001b[39m");
    expect(formatState("FAILED", null, colour)).toBe("\u001b[31mFailed\u001b[39m");
    expect(formatState("SCHEDULED", "Late", plain)).toBe("Late");
  });
});

describe("relativeTime", () => {
  const now = new Date("2026-11-03T12:00:00Z");
  it.each([
    ["2026-11-03T12:05:00Z", "in 5 minutes"],
    ["2026-11-03T12:04:58Z", "in 5 minutes"],
    ["2026-11-03T13:20:00Z", "in 1 hour"],
    ["2026-11-03T09:00:00Z", "3 hours ago"],
    ["2026-11-03T12:00:02Z", "just now"],
    ["2026-11-03T11:59:30Z", "a few seconds ago"],
    ["2026-11-05T12:00:00Z", "in 2 days"],
    ["2026-10-03T12:00:00Z", "1 month ago"],
  ])("%s is %s", (when, expected) => {
    expect(relativeTime(when, now)).toBe(expected);
  });

  it("is empty for no date", () => {
    expect(relativeTime(null, now)).toBe("");
  });
});
