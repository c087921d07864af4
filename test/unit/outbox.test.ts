import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { BatonConnectionError } from "../../server/client";
import { ReportOutbox, type PendingReport } from "../../workers/protocol/outbox";
import { FileOutboxStore } from "../../workers/node/outbox-store";

const report = (runId: string): PendingReport => ({
  runId,
  runName: `run-${runId}`,
  leaseToken: "00000000-0000-4000-8000-00000000000a",
  state: { type: "COMPLETED" },
  createdAt: new Date().toISOString(),
});
const answered = (status: number) =>
  new TRPCClientError("refused", { result: { error: { message: "refused", code: -32000, data: { httpStatus: status, code: "CONFLICT" } } } } as never);

describe("the report outbox", () => {
  it("keeps a report on disk until the server answers, re-sending through connection failures", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "baton-outbox-"));
    let calls = 0;
    const outbox = new ReportOutbox(new FileOutboxStore(dir), async () => {
      calls++;
      expect(existsSync(path.join(dir, "r1.json"))).toBe(true); // on disk while it is being sent
      if (calls < 3) throw new BatonConnectionError("http://x/api", "connection refused");
    }, () => {}, 5);
    expect(await outbox.deliver(report("r1"))).toEqual({ delivered: true });
    expect(calls).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("drops a report the server refused (sending again would get the same answer), retries a 5xx", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "baton-outbox-"));
    const statuses = [503, 409];
    const outbox = new ReportOutbox(new FileOutboxStore(dir), async () => {
      throw answered(statuses.shift()!);
    }, () => {}, 5);
    expect(await outbox.deliver(report("r2"))).toEqual({ delivered: false, refused: "refused" });
    expect(statuses).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a stopped outbox leaves the report for the next worker, which finds and sends it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "baton-outbox-"));
    const first = new ReportOutbox(new FileOutboxStore(dir), async () => {
      throw new BatonConnectionError("http://x/api", "connection refused");
    }, () => {}, 5);
    const pending = first.deliver(report("r3"));
    await new Promise((r) => setTimeout(r, 30));
    first.stop();
    expect(await pending).toEqual({ delivered: false, stopped: true });
    const sent: string[] = [];
    const next = new ReportOutbox(new FileOutboxStore(dir), async (r) => void sent.push(r.runId), () => {});
    const left = await next.leftovers();
    expect(left.map((r) => r.runId)).toEqual(["r3"]);
    expect(await next.deliver(left[0]!, { persisted: true })).toEqual({ delivered: true });
    expect(sent).toEqual(["r3"]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
