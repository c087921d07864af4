/** The one TaskContext maker (workers/kinds/context.ts) for kinds run by the Node worker and by flow code. */
import { describe, expect, test } from "vitest";
import { createKindContext } from "../../workers/kinds/context";

function recorded() {
  const lines: string[] = [];
  const metrics: unknown[] = [];
  const signal = new AbortController().signal;
  const ctx = createKindContext({ log: (level, message) => lines.push(`${level} ${message}`), metric: (...m) => metrics.push(m), signal, device: "cpu" });
  return { ctx, lines, metrics, signal };
}

describe("createKindContext", () => {
  test("progress is an info line at each new tenth, whatever the kind passes in between", () => {
    const { ctx, lines } = recorded();
    for (let page = 1; page <= 200; page++) ctx.progress(page / 200, `page ${page} of 200`);
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe("info progress 1%: page 1 of 200");
    expect(lines[1]).toBe("info progress 10%: page 20 of 200");
    expect(lines[10]).toBe("info progress 100%: page 200 of 200");
  });

  test("fractions outside [0, 1] are clamped; a repeated tenth with a message is still one line", () => {
    const { ctx, lines } = recorded();
    ctx.progress(-0.5);
    ctx.progress(0.01, "starting");
    ctx.progress(1.7, "done");
    ctx.progress(Number.NaN);
    expect(lines).toEqual(["info progress 0%", "info progress 100%: done", "info progress 0%"]);
  });

  test("logs, metrics, the signal and the device pass through", () => {
    const { ctx, lines, metrics, signal } = recorded();
    ctx.log("warn", "careful");
    ctx.metric("loss", 0.5, 3);
    expect(lines).toEqual(["warn careful"]);
    expect(metrics).toEqual([["loss", 0.5, 3]]);
    expect(ctx.signal).toBe(signal);
    expect(ctx.device).toBe("cpu");
  });
});
