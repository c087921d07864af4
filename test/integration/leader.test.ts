import { spawn } from "node:child_process";
import { afterEach, describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "../../server/db/client";
import { startServices, type RunningServices } from "../../server/services";
import { useTestDatabase } from "../helpers/db";
import { fastSettings, recordingLog } from "../helpers/services";

/** A PGlite database is in memory and owned by one process: there is no second one to hand over to. */
const onPglite = inject("dbMode") === "pglite";
const NEEDS_SHARED_DB = "(skipped on PGlite: one process owns its in-memory database, so no second process can contend for the lock)";

describe("background services leadership", () => {
  const t = useTestDatabase();
  const logs = recordingLog();
  const started: RunningServices[] = [];
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    await Promise.all(opened.splice(0).map((d) => d.close()));
    // Leadership changes hands cleanly: no tick or lock attempt failed along the way.
    expect(logs.errors).toEqual([]);
  });
  const start = (database: Database) => {
    const services = startServices({ database, settings: fastSettings({ servicesIntervalMs: 20 }), log: logs });
    started.push(services);
    return services;
  };

  it.runIf(onPglite)("PGlite only: the one process that owns the database leads at once (a shared database runs the hand-over tests instead)", async () => {
    const only = start(t.database);
    await only.nextTick();
    expect(only.isLeader()).toBe(true);
    expect(logs.logs).toEqual([expect.stringMatching(/now runs the background services \(leader\)/)]);
  });

  it.skipIf(onPglite)(`runs the loop in one process only, and a new leader takes over when the leader dies ${NEEDS_SHARED_DB}`, async () => {
    // The first leader is another process; it is then killed outright, as a crashed server would be.
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/services-process.ts"], {
      env: { ...process.env, BATON_TEST_DB_CONFIG: JSON.stringify(t.config) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("leader") && resolve());
        child.once("exit", (code) => reject(new Error(`services process exited early (${code})`)));
      });
      const b = start(t.database);
      await b.nextTick();
      await b.nextTick();
      expect(b.isLeader()).toBe(false);
      child.kill("SIGKILL");
      for (let i = 0; i < 200 && !b.isLeader(); i++) await b.nextTick();
      expect(b.isLeader()).toBe(true);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it.skipIf(onPglite)(`a leader that stops hands over at once ${NEEDS_SHARED_DB}`, async () => {
    const second = await openDatabase(t.config);
    opened.push(second);
    const a = start(t.database);
    await a.nextTick();
    const b = start(second);
    await b.nextTick();
    expect(b.isLeader()).toBe(false);
    await started.shift()!.stop();
    for (let i = 0; i < 100 && !b.isLeader(); i++) await b.nextTick();
    expect(b.isLeader()).toBe(true);
  });
});
