/**
 * The one seeded generator (workers/kinds/random.ts: mulberry32), used by the kinds, the tiny
 * test model (scripts/tiny-model) and the e2e data sets. Its stream must never drift: a model
 * file or a clustering answer pinned elsewhere depends on it.
 */
import { expect, test } from "vitest";
import { createRng, sampleIndices } from "../../workers/kinds/random";

test("createRng(42) gives mulberry32's reference stream", () => {
  const r = createRng(42);
  expect([r.next(), r.next(), r.next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
});

test("seed 0 is not a degenerate stream, and normal() is Box–Muller over two uniforms", () => {
  expect(createRng(0).next()).toBe(createRng(0x9e3779b9).next());
  const a = createRng(7);
  const b = createRng(7);
  const u = 1 - b.next();
  const v = b.next();
  expect(a.normal()).toBe(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
});

test("sampleIndices draws distinct sorted indices, the same for the same seed", () => {
  const s = sampleIndices(100, 10, createRng(3));
  expect(new Set(s).size).toBe(10);
  expect([...s]).toEqual([...s].sort((x, y) => x - y));
  expect([...sampleIndices(100, 10, createRng(3))]).toEqual([...s]);
});
