/**
 * baton.yaml: `baton init` writes it, `baton deploy --all` applies it — a plan first, nothing
 * changed on a second run, what changed named, deployments no longer listed reported and deleted
 * only with --prune (and only this project's), mistakes named with their line. Real CLI
 * processes against a real API over HTTP, from a project directory outside Baton's checkout.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createBatonClient } from "../../server/client";
import { useHttpApiServer } from "../helpers/http-api-server";
import { REPO_ROOT } from "./run-cli";

const api = useHttpApiServer();

describe("the project file", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "baton-yaml-"));
  const baton = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", BATON_API_URL: api.apiUrl } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const yaml = (text: string) => writeFileSync(path.join(dir, "baton.yaml"), text);

  it("init writes it; deploy --all plans, applies, changes nothing the second time, names what changed, prunes only with --prune", async () => {
    const client = createBatonClient({ apiUrl: api.apiUrl });
    await client.workPools.create.mutate({ name: "local", type: "node" });
    // Another project's deployment in the same workspace: never touched by this one.
    await client.deployments.create.mutate({ flow: "cluster", name: "theirs", entrypoint: "kind:cluster", workPool: "local", tags: ["project:other"] });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "@acme/pipelines", type: "module", dependencies: { zod: "^4.1.0" } }));
    mkdirSync(path.join(dir, "node_modules"), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, "node_modules", "zod"), path.join(dir, "node_modules", "zod"));
    writeFileSync(
      path.join(dir, "etl.ts"),
      `import { z } from "zod";
import { flow } from ${JSON.stringify(path.join(REPO_ROOT, "sdk/index.ts"))};
export const etl = flow({ name: "etl", retries: 2, parameters: z.object({ day: z.string() }) }, async ({ day }) => day);
`,
    );

    const init = await baton("init", "etl.ts:etl");
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain("Wrote baton.yaml for project pipelines with 1 deployment");
    expect(readFileSync(path.join(dir, "baton.yaml"), "utf8")).toMatch(/project: pipelines\ndeployments:\n {2}- name: etl\n {4}entrypoint: etl.ts:etl/);
    expect((await baton("init")).stderr).toContain("baton.yaml exists already");

    yaml(`project: pipelines
deployments:
  - name: nightly
    entrypoint: etl.ts:etl
    workPool: local
    parameters: { day: today }
    schedules:
      - cron: "0 8 * * *"
        timezone: Europe/Paris
  - name: topics
    entrypoint: kind:cluster
    flow: topics
    workPool: local
`);
    const dry = await baton("deploy", "--all", "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/project pipelines, 2 deployments\n {2}\+ etl\/nightly {2}create\n {2}\+ topics\/topics {2}create\nDry run: nothing was changed\./);
    expect(await client.deployments.list.query()).toHaveLength(1);

    const apply = await baton("deploy", "--all");
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Applied: 2 created, 0 updated, 0 unchanged.");
    const nightly = await client.deployments.get.query({ deployment: "etl/nightly" });
    expect(nightly).toMatchObject({ parameters: { day: "today" }, workPoolName: "local", policy: { maxRetries: 2 }, tags: ["project:pipelines"] });
    expect(nightly.codeVersion).toMatch(/^sha256:/);
    expect(nightly.schedules).toMatchObject([{ cron: "0 8 * * *", timezone: "Europe/Paris" }]);

    const again = await baton("deploy", "--all");
    expect(again.stdout).toMatch(/= etl\/nightly {2}unchanged\n {2}= topics\/topics {2}unchanged/);
    expect(again.stdout).toContain("Applied: 0 created, 0 updated, 2 unchanged.");

    // The schedule changes and topics leaves the file.
    yaml(`project: pipelines
deployments:
  - name: nightly
    entrypoint: etl.ts:etl
    workPool: local
    parameters: { day: today }
    schedules:
      - cron: "0 9 * * *"
        timezone: Europe/Paris
`);
    const changed = await baton("deploy", "--all");
    expect(changed.stdout).toMatch(/~ etl\/nightly {2}update: schedules\n {2}\? topics\/topics {2}not in the file: kept \(--prune deletes it\)/);
    expect((await client.deployments.get.query({ deployment: "etl/nightly" })).schedules[0]!.cron).toBe("0 9 * * *");
    expect(await client.deployments.get.query({ deployment: "topics/topics" })).toBeTruthy();

    const pruned = await baton("deploy", "--all", "--prune");
    expect(pruned.stdout).toMatch(/- topics\/topics {2}delete \(not in the file\)/);
    expect(pruned.stdout).toContain("Applied: 0 created, 0 updated, 1 unchanged, 1 deleted.");
    const left = (await client.deployments.list.query()).map((d) => `${d.flowName}/${d.name}`).sort();
    expect(left).toEqual(["cluster/theirs", "etl/nightly"]);
  }, 120_000);

  it("names the line of a mistake and changes nothing", async () => {
    yaml(`project: pipelines
deployments:
  - name: nightly
    entrypoint: etl.ts:etl
    workpool: local
`);
    const bad = await baton("deploy", "--all");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/baton\.yaml:3: deployments\.0: Unrecognized key: "workpool"/);
    yaml(`project: pipelines\ndeployments:\n  - name: [unclosed\n`);
    expect((await baton("deploy", "--all")).stderr).toMatch(/baton\.yaml:\d+: /);
    expect((await baton("deploy", "etl.ts:etl", "--prune")).stderr).toContain("--file, --prune and --dry-run go with --all");
  });
});
