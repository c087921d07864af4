/** `baton services start`: the background services alone, on the database the tests made. */
import { spawn } from "node:child_process";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { flowRuns } from "../../drizzle/schema";
import { useTestDatabase } from "../helpers/db";
import { seedFlow, seedPool, seedRuns } from "../helpers/seed";
import { REPO_ROOT } from "./run-cli";

describe("baton services start", () => {
  const t = useTestDatabase();

  it("leads, marks a late run with its reason, and stops cleanly on SIGINT", async () => {
    const db = t.database.db;
    const flow = await seedFlow(db, "late-for-services");
    const { pool, defaultQueue } = await seedPool(db, "nobody-home");
    const [run] = await seedRuns(db, { flowId: flow.id, workPoolId: pool.id, workQueueId: defaultQueue.id, scheduledTime: new Date(Date.now() - 60_000) });
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "services", "start", "--database-url", t.config.url!], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_SERVICES_INTERVAL_S: "0.05", BATON_LATE_AFTER_S: "0.05" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      for (let i = 0; i < 300 && !output.includes("(leader)"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output).toMatch(/Background services on PostgreSQL/);
      expect(output).toContain("now runs the background services (leader)");
      let late = "";
      for (let i = 0; i < 200 && late !== "Late"; i++) {
        late = (await db.select().from(flowRuns).where(eq(flowRuns.id, run!.id)))[0]!.stateName;
        if (late !== "Late") await new Promise((r) => setTimeout(r, 50));
      }
      expect(late).toBe("Late");
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(output).toContain("SIGINT: shutting down");
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);
});
