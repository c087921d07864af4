/**
 * A deployment's run policy is a validated field of its own (`policy`), copied onto each run;
 * bad values are refused naming the field; `x-baton` in a parameter schema is still read (moved
 * into `policy`, checked the same way); migration 0012 moved the stored `x-baton` values.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { flowRuns } from "../../drizzle/schema";
import { migrationsFolder, openDatabase, type Database } from "../../server/db/client";
import { rowsOf } from "../../server/engine/rows";
import { expectTrpcError, useTestApi } from "../helpers/api";
import { databaseUrl, dropDatabase, withAdmin } from "../helpers/postgres";

const policy = { maxRetries: 3, retryDelaySeconds: 5, retryBackoff: 2, retryJitter: 0.25, timeoutSeconds: 90, requirements: { gpu: true } };

describe("deployment run policy", () => {
  const api = useTestApi();

  it("is stored, returned and copied onto every run of the deployment", async () => {
    const caller = api.caller();
    await caller.workPools.create({ name: "policy-pool", type: "node" });
    const d = await caller.deployments.create({ flow: "policed", name: "p", workPool: "policy-pool", policy });
    expect(d.policy).toEqual(policy);
    expect((await caller.deployments.get({ deployment: d.id })).policy).toEqual(policy);
    const run = await caller.deployments.run({ deployment: d.id });
    const [row] = await api.db.select().from(flowRuns).where(eq(flowRuns.id, run.id));
    expect(row).toMatchObject(policy);

    // Update replaces it whole; a run made after gets the new one, the defaults for what it leaves out.
    expect((await caller.deployments.update({ deployment: d.id, policy: { maxRetries: 1 } })).policy).toEqual({ maxRetries: 1 });
    const next = await caller.deployments.run({ deployment: d.id });
    const [nextRow] = await api.db.select().from(flowRuns).where(eq(flowRuns.id, next.id));
    expect(nextRow).toMatchObject({ maxRetries: 1, retryDelaySeconds: 0, retryBackoff: 1, retryJitter: 0, timeoutSeconds: null, requirements: {} });
    // Changing other fields leaves it as it is.
    expect((await caller.deployments.update({ deployment: d.id, description: "still retried" })).policy).toEqual({ maxRetries: 1 });
  });

  it("refuses a bad value naming the field, and writes nothing", async () => {
    const client = api.client();
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ maxRetries: 1.5 }, "policy.maxRetries", /whole number/],
      [{ maxRetries: -1 }, "policy.maxRetries", /0 or more/],
      [{ maxRetries: 101 }, "policy.maxRetries", /100 or less/],
      [{ retryDelaySeconds: -5 }, "policy.retryDelaySeconds", /0 or more/],
      [{ retryBackoff: 0.5 }, "policy.retryBackoff", /1 \(constant\) or more/],
      [{ retryJitter: 2 }, "policy.retryJitter", /between 0 and 1/],
      [{ timeoutSeconds: 0 }, "policy.timeoutSeconds", /above 0/],
      [{ requirements: "gpu" }, "policy.requirements", /JSON object/],
      [{ retries: 3 }, "policy", /unknown run policy field "retries"/],
    ];
    for (const [value, field, message] of bad) {
      const err = await expectTrpcError(client.deployments.create.mutate({ flow: "refused", name: "r", policy: value as never }), "BAD_REQUEST", message);
      expect(err.field, JSON.stringify(value)).toBe(field);
    }
    await expectTrpcError(client.deployments.get.query({ deployment: "refused/r" }), "NOT_FOUND");

    await client.deployments.create.mutate({ flow: "refused", name: "kept", policy: { maxRetries: 2 } });
    const err = await expectTrpcError(client.deployments.update.mutate({ deployment: "refused/kept", policy: { retryJitter: -0.1 } }), "BAD_REQUEST");
    expect(err.field).toBe("policy.retryJitter");
    expect((await client.deployments.get.query({ deployment: "refused/kept" })).policy).toEqual({ maxRetries: 2 });
  });

  it("reads x-baton in a parameter schema as the policy, moved out of the schema, and refuses a bad one naming it", async () => {
    const client = api.client();
    const schema = { type: "object", properties: { n: { type: "integer" } }, "x-baton": policy };
    const d = await client.deployments.create.mutate({ flow: "old-client", name: "x", parameterSchema: schema });
    expect(d.policy).toEqual(policy);
    expect(d.parameterSchema).toEqual({ type: "object", properties: { n: { type: "integer" } } });

    // Never silently the defaults, as it used to be.
    for (const [xBaton, field] of [
      [{ maxRetries: "3" }, "parameterSchema.x-baton.maxRetries"],
      [{ retryBackoff: 0 }, "parameterSchema.x-baton.retryBackoff"],
      [{ retries: 3 }, "parameterSchema.x-baton.retries"],
      ["3 retries", "parameterSchema.x-baton"],
    ] as const) {
      const err = await expectTrpcError(
        client.deployments.create.mutate({ flow: "old-client", name: "bad", parameterSchema: { type: "object", "x-baton": xBaton } }),
        "BAD_REQUEST",
      );
      expect(err.field, JSON.stringify(xBaton)).toBe(field);
    }
    await expectTrpcError(client.deployments.get.query({ deployment: "old-client/bad" }), "NOT_FOUND");

    // On update too; a `policy` sent beside it is the one kept.
    const updated = await client.deployments.update.mutate({ deployment: d.id, parameterSchema: { type: "object", "x-baton": { maxRetries: 7 } } });
    expect(updated).toMatchObject({ policy: { maxRetries: 7 }, parameterSchema: { type: "object" } });
    const both = await client.deployments.update.mutate({ deployment: d.id, parameterSchema: { type: "object", "x-baton": { maxRetries: 7 } }, policy: { maxRetries: 1 } });
    expect(both.policy).toEqual({ maxRetries: 1 });
    const err = await expectTrpcError(client.deployments.update.mutate({ deployment: d.id, parameterSchema: { "x-baton": { retryJitter: 5 } } }), "BAD_REQUEST");
    expect(err.field).toBe("parameterSchema.x-baton.retryJitter");
    expect((await client.deployments.get.query({ deployment: d.id })).policy).toEqual({ maxRetries: 1 });
  });
});

/** An empty database on this project's driver. */
async function openEmptyDatabase(): Promise<{ database: Database; dispose(): Promise<void> }> {
  const mode = inject("dbMode") ?? "pglite";
  if (mode === "pglite") {
    const database = await openDatabase({ driver: "pglite", dataDir: "memory://" });
    return { database, dispose: () => database.close() };
  }
  const name = `${inject("pgPrefix")}pol_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const database = await openDatabase(
    mode === "pg"
      ? { driver: "pg", url: databaseUrl(name) }
      : { driver: "neon", url: databaseUrl(name), neonWsProxy: `ws://127.0.0.1:${inject("neonProxyPort")}/v2` },
  );
  return {
    database,
    dispose: async () => {
      await database.close();
      await dropDatabase(name);
    },
  };
}

/** drizzle's migrations up to (not including) `tag`, as the release before it applied them. */
async function migrateUntil(database: Database, tag: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-migrations-"));
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder(), "meta/_journal.json"), "utf8")) as { entries: { idx: number; tag: string }[] };
  const stop = journal.entries.findIndex((e) => e.tag === tag);
  if (stop < 0) throw new Error(`no migration ${tag}`);
  const entries = journal.entries.slice(0, stop);
  fs.mkdirSync(path.join(dir, "meta"));
  fs.writeFileSync(path.join(dir, "meta/_journal.json"), JSON.stringify({ ...journal, entries }));
  for (const e of entries) fs.copyFileSync(path.join(migrationsFolder(), `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  const config = { migrationsFolder: dir };
  try {
    if (database.driver === "pglite") await (await import("drizzle-orm/pglite/migrator")).migrate(database.db as never, config);
    else if (database.driver === "pg") await (await import("drizzle-orm/node-postgres/migrator")).migrate(database.db as never, config);
    else await (await import("drizzle-orm/neon-serverless/migrator")).migrate(database.db as never, config);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("migration 0012: x-baton into policy", () => {
  it("moves each x-baton that applied, keeping its known fields, and leaves one that never applied where it was", async () => {
    const { database, dispose } = await openEmptyDatabase();
    try {
      await migrateUntil(database, "0012_deployment_policy");
      const [ws] = rowsOf(await database.db.execute(sql`SELECT id FROM workspaces LIMIT 1`));
      const [flow] = rowsOf(await database.db.execute(sql`INSERT INTO flows (workspace_id, name) VALUES (${ws!.id}, 'legacy') RETURNING id`));
      const rows: [string, unknown][] = [
        // As old `baton deploy` wrote it, with a field the old server ignored.
        ["applied", { type: "object", properties: {}, "x-baton": { ...policy, note: "ignored" } }],
        // The old server turned these into the defaults.
        ["string-retries", { type: "object", "x-baton": { maxRetries: "3" } }],
        ["fractional-retries", { type: "object", "x-baton": { maxRetries: 1.5, timeoutSeconds: 10 } }],
        ["backoff-below-1", { type: "object", "x-baton": { retryBackoff: 0.5 } }],
        ["null-timeout", { type: "object", "x-baton": { timeoutSeconds: null } }],
        ["not-an-object", { type: "object", "x-baton": "3 retries" }],
        ["none", { type: "object" }],
        ["no-schema", null],
      ];
      for (const [name, schema] of rows) {
        await database.db.execute(
          sql`INSERT INTO deployments (workspace_id, flow_id, name, parameter_schema) VALUES (${ws!.id}, ${flow!.id}, ${name}, ${schema === null ? null : JSON.stringify(schema)}::jsonb)`,
        );
      }

      await database.migrate();
      const after = Object.fromEntries(
        rowsOf(await database.db.execute(sql`SELECT name, policy, parameter_schema FROM deployments`)).map((r) => [r.name, { policy: r.policy, schema: r.parameter_schema }]),
      );
      expect(after.applied).toEqual({ policy, schema: { type: "object", properties: {} } });
      for (const name of ["string-retries", "fractional-retries", "backoff-below-1", "null-timeout", "not-an-object"]) {
        expect(after[name], name).toEqual({ policy: {}, schema: rows.find(([n]) => n === name)![1] });
      }
      expect(after.none).toEqual({ policy: {}, schema: { type: "object" } });
      expect(after["no-schema"]).toEqual({ policy: {}, schema: null });
    } finally {
      await dispose();
    }
  });
});
