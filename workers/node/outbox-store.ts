/**
 * The Node worker's outbox store: one JSON file per run under the worker's data directory,
 * written to a temporary name and renamed, so a crash mid-write leaves the old file or the new
 * one, never half of one.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { OutboxStore, PendingReport } from "../protocol/outbox";

export class FileOutboxStore implements OutboxStore {
  constructor(readonly location: string) {}

  private file(runId: string): string {
    return path.join(this.location, `${runId}.json`);
  }

  async put(report: PendingReport): Promise<void> {
    await mkdir(this.location, { recursive: true });
    const tmp = `${this.file(report.runId)}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(report));
    await rename(tmp, this.file(report.runId));
  }

  async remove(runId: string): Promise<void> {
    await rm(this.file(runId), { force: true });
  }

  async list(warn: (message: string) => void): Promise<PendingReport[]> {
    let names: string[];
    try {
      names = (await readdir(this.location)).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const reports: PendingReport[] = [];
    for (const name of names) {
      try {
        reports.push(JSON.parse(await readFile(path.join(this.location, name), "utf8")) as PendingReport);
      } catch {
        warn(`${name} is unreadable; leaving it in ${this.location}`);
      }
    }
    return reports;
  }
}
