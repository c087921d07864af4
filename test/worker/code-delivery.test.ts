/**
 * Deployments carry their code: a flow in a project of its own (outside Baton's checkout, with a
 * local import and an npm package) is deployed with `baton deploy` from there; a worker started
 * in an empty directory, where that file does not exist, runs it — at the version each run
 * was made with, even after a re-deploy. Counted by side effects: each body appends its version
 * to a file.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { REPO_ROOT, useWorkerHarness, waitFor } from "./harness";

const run = promisify(execFile);

describe("code delivered with the deployment", () => {
  const h = useWorkerHarness();
  const project = mkdtempSync(path.join(os.tmpdir(), "baton-project-"));
  const marker = path.join(project, "side-effects.txt");

  function writeProject(greeting: string, extra = "") {
    mkdirSync(path.join(project, "lib"), { recursive: true });
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-pipelines", type: "module", dependencies: { zod: "^4.1.0", "left-pad": "^1.3.0" } }));
    writeFileSync(path.join(project, "lib", "greet.ts"), `export const greeting = ${JSON.stringify(greeting)};\n`);
    writeFileSync(
      path.join(project, "flows.ts"),
      `import { appendFileSync } from "node:fs";
import { z } from "zod";
import { flow, task } from ${JSON.stringify(path.join(REPO_ROOT, "sdk/index.ts"))};
import { greeting } from "./lib/greet.ts";
${extra}
const say = task("say", async (name: string) => \`\${greeting}, \${name}\`);
export const greet = flow({ name: "greet", parameters: z.object({ name: z.string(), marker: z.string() }) }, async ({ name, marker }) => {
  const line = await say(name);
  appendFileSync(marker, line + "\\n");
  return line;
});
`,
    );
  }

  const deploy = (env: Record<string, string> = {}) =>
    run(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "deploy", "flows.ts:greet", "-n", "d", "-p", "delivered"], {
      cwd: project,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: h.apiUrl, ...env },
    });
  const finished = (id: string) =>
    waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000);

  it("runs a flow its worker has no file of, each run at the version it was made with", async () => {
    // The project's own node_modules: zod as Baton has it, and a package Baton's install lacks.
    mkdirSync(path.join(project, "node_modules", "left-pad"), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, "node_modules", "zod"), path.join(project, "node_modules", "zod"));
    writeFileSync(path.join(project, "node_modules", "left-pad", "package.json"), JSON.stringify({ name: "left-pad", version: "1.3.0", type: "module", main: "index.js" }));
    writeFileSync(path.join(project, "node_modules", "left-pad", "index.js"), "export default (s, n) => String(s).padStart(n);\n");
    await h.client.workPools.create.mutate({ name: "delivered", type: "node" });

    writeProject("Hello");
    const first = await deploy();
    expect(first.stdout).toMatch(/code: sha256:[0-9a-f]{12} \(2 files, .* KB; imports zod@\^4\.1\.0\)/);
    const v1 = (await h.client.deployments.get.query({ deployment: "greet/d" })).codeVersion!;
    expect(v1).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Made before the re-deploy, run after it: it keeps v1.
    const early = await h.client.deployments.run.mutate({ deployment: "greet/d", parameters: { name: "early", marker } });
    expect(early.codeVersion).toBe(v1);

    writeProject("Bonjour");
    await deploy();
    const v2 = (await h.client.deployments.get.query({ deployment: "greet/d" })).codeVersion!;
    expect(v2).not.toBe(v1);
    const late = await h.client.deployments.run.mutate({ deployment: "greet/d", parameters: { name: "late", marker } });
    expect(late.codeVersion).toBe(v2);

    // A worker started in an empty directory: no project, no checkout, only Baton installed.
    const empty = mkdtempSync(path.join(os.tmpdir(), "baton-empty-"));
    const worker = h.startWorker(["-p", "delivered", "--name", "remote", "--limit", "1"], {}, empty);
    await h.waitForWorker(worker);
    expect((await finished(early.id)).stateType).toBe("COMPLETED");
    expect((await finished(late.id)).stateType).toBe("COMPLETED");
    expect(readFileSync(marker, "utf8").split("\n").filter(Boolean)).toEqual(["Hello, early", "Bonjour, late"]);
    expect(await h.client.results.ofRun.query({ flowRunId: late.id })).toMatchObject({ value: "Bonjour, late" });

    // Re-deployed while the worker runs: its next run runs the new code, no restart.
    writeProject("Salut");
    await deploy();
    const next = await h.client.deployments.run.mutate({ deployment: "greet/d", parameters: { name: "next", marker } });
    expect((await finished(next.id)).stateType).toBe("COMPLETED");
    expect(readFileSync(marker, "utf8").split("\n").filter(Boolean).at(-1)).toBe("Salut, next");

    // A package the worker's machine does not have: refused, naming it and how to install it.
    writeProject("Hola", 'import leftPad from "left-pad";\nexport const padded = leftPad("x", 3);');
    const third = await deploy();
    expect(third.stdout).toMatch(/imports left-pad@\^1\.3\.0, zod@\^4\.1\.0/);
    const missing = await h.client.deployments.run.mutate({ deployment: "greet/d", parameters: { name: "nobody", marker } });
    const failed = await finished(missing.id);
    expect(failed.stateType).toBe("FAILED");
    expect(failed.stateMessage).toMatch(/imports left-pad@\^1\.3\.0, not installed on this worker: npm install left-pad@"\^1\.3\.0"/);
    expect(readFileSync(marker, "utf8")).not.toContain("Hola");
  }, 120_000);

  it("--no-bundle keeps the old way: the entrypoint is looked up in the worker's checkout", async () => {
    const out = await run(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "deploy", "test/worker/fixtures/flows.ts:slow", "-n", "plain", "-p", "delivered", "--no-bundle"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: h.apiUrl },
    });
    expect(out.stdout).toMatch(/code: from each worker's checkout/);
    expect((await h.client.deployments.get.query({ deployment: "slow/plain" })).codeVersion).toBeNull();
  });
});
