/** The rules of a notebook's code cell: its parameters, its inputs, where it runs, and its TypeScript. */
import { describe, expect, it } from "vitest";
import { transpileCodeCell } from "../../common/code-cell";
import { cellProblems, inputValue, zCells } from "../../common/notebook";

const messages = (cells: unknown[]) => cellProblems(zCells.parse(cells)).map((p) => p.message);

describe("code cells", () => {
  it("transpiles TypeScript to a function of inputs, and names a syntax error's line in the source", async () => {
    const js = transpileCodeCell("const n: number = inputs.xs.length;\nreturn n * 2;");
    const cell = new Function(`${js}; return __batonCell;`)() as (inputs: unknown) => Promise<number>;
    expect(await cell({ xs: [1, 2, 3] })).toBe(6);
    expect(() => transpileCodeCell("const a = 1;\nconst b = ;")).toThrow(/does not parse as TypeScript: .*\(line 2, column 11\)/);
  });

  it("checks the source, the other parameters, the input names and sources, and that it runs in the tab", () => {
    expect(messages([{ id: "c", kind: "code", parameters: { source: "return 1;" } }])).toEqual([]);
    expect(messages([{ id: "c", kind: "code", parameters: {} }])).toEqual(['cell "c": parameters.source: is required']);
    expect(messages([{ id: "c", kind: "code", parameters: { source: "return 1;", k: 3 } }])).toEqual(['cell "c": parameters.k: is not a parameter of a code cell (it has source and timeoutSeconds)']);
    expect(messages([{ id: "c", kind: "code", parameters: { source: "return (;" } }])[0]).toMatch(/cell "c": parameters\.source: the code does not parse as TypeScript/);
    expect(
      messages([
        { id: "a", kind: "code", parameters: { source: "return 1;" } },
        { id: "c", kind: "code", parameters: { source: "return 1;" }, inputs: { "bad-name": "a", ok: "nowhere", self: "c" } },
      ]),
    ).toEqual([
      'cell "c": inputs.bad-name: must be a JavaScript identifier of at most 40 characters (letters, digits, _ and $)',
      'cell "c": inputs.ok: there is no cell "nowhere"',
      'cell "c": inputs.self: a cell cannot read its own output',
    ]);
    expect(messages([{ id: "c", kind: "code", parameters: { source: "return 1;" }, target: { pool: "gpu" } }])).toEqual([
      'cell "c": a code cell runs in the tab\'s sandbox (a deployed notebook runs it on its node pool)',
    ]);
  });

  it("reads whole outputs, and feeds kinds that take its data", () => {
    const pdf = { chunks: [{ text: "a" }, { text: "b" }] };
    expect(inputValue("pdf", "chunks", pdf, "r1", "code")).toBe(pdf);
    expect(inputValue("code", "texts", ["x", "y"], "r2", "encode")).toEqual(["x", "y"]);
    expect(
      messages([
        { id: "words", kind: "code", parameters: { source: 'return ["a b", "c d"];' } },
        { id: "v", kind: "encode", parameters: { encoder: "lexical" }, inputs: { texts: "words" } },
      ]),
    ).toEqual([]);
  });
});
