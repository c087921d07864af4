/**
 * A pull step: the deployment names a git repository and ref; the worker (started in Baton's own
 * directory, where none of these files exist) clones it, runs the flow from the ref as it is
 * when each run starts, logs the commit, and a process pool's command runs inside the pulled
 * tree. A repository it cannot read fails the run naming git's reason. Side effects counted.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { REPO_ROOT, useWorkerHarness, waitFor } from "./harness";

describe("code pulled from git", () => {
  const h = useWorkerHarness();
  const repo = mkdtempSync(path.join(os.tmpdir(), "baton-git-"));
  const marker = path.join(repo, "..", `${path.basename(repo)}-side-effects.txt`);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).toString().trim();
  const commit = (greeting: string) => {
    writeFileSync(path.join(repo, "lib.ts"), `export const greeting = ${JSON.stringify(greeting)};\n`);
    writeFileSync(
      path.join(repo, "flows.ts"),
      `import { appendFileSync } from "node:fs";
import { z } from "zod";
import { flow } from "baton/sdk";
import { greeting } from "./lib.ts";
export const hello = flow({ name: "pulled", parameters: z.object({ marker: z.string() }) }, async ({ marker }) => {
  appendFileSync(marker, greeting + "\\n");
  return greeting;
});
`,
    );
    writeFileSync(path.join(repo, "job.mjs"), `import { appendFileSync } from "node:fs";\nappendFileSync(process.env.MARKER, "job ran in " + process.cwd() + "\\n");\n`);
    git("add", ".");
    git("commit", "-q", "-m", greeting);
    return git("rev-parse", "HEAD");
  };
  const finished = (id: string) =>
    waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000);
  const lines = () => readFileSync(marker, "utf8").split("\n").filter(Boolean);

  it("runs the flow from the ref as it is when each run starts, and a process job inside the tree", async () => {
    git("init", "-q", "-b", "main");
    const first = commit("Hello");
    await h.client.workPools.create.mutate({ name: "pulled", type: "node" });
    await h.client.deployments.create.mutate({ flow: "pulled", name: "git", entrypoint: "flows.ts:hello", workPool: "pulled", pull: { git: `file://${repo}`, ref: "main" } });
    const worker = h.startWorker(["-p", "pulled", "--name", "puller", "--limit", "1"]);
    await h.waitForWorker(worker);

    const a = await h.client.deployments.run.mutate({ deployment: "pulled/git", parameters: { marker } });
    expect(await finished(a.id)).toMatchObject({ stateType: "COMPLETED" });
    const logged = (await h.client.logs.list.query({ flowRunId: a.id })).items.map((l) => l.message).join("\n");
    expect(logged).toContain(`code pulled from file://${repo} at main: commit ${first.slice(0, 12)}`);

    const second = commit("Bonjour");
    const b = await h.client.deployments.run.mutate({ deployment: "pulled/git", parameters: { marker } });
    expect(await finished(b.id)).toMatchObject({ stateType: "COMPLETED" });
    expect((await h.client.logs.list.query({ flowRunId: b.id })).items.map((l) => l.message).join("\n")).toContain(second.slice(0, 12));
    expect(lines()).toEqual(["Hello", "Bonjour"]);

    // A process pool's command runs in the pulled tree, not where the worker started.
    await h.client.workPools.create.mutate({ name: "jobs", type: "process", baseJobTemplate: { command: [process.execPath, "job.mjs"], env: { MARKER: marker } } });
    await h.client.deployments.create.mutate({ flow: "pulled-job", name: "git", workPool: "jobs", pull: { git: `file://${repo}`, ref: first } });
    const jobs = h.startWorker(["-p", "jobs", "--name", "job-puller", "--limit", "1"]);
    await h.waitForWorker(jobs);
    const c = await h.client.deployments.run.mutate({ deployment: "pulled-job/git" });
    expect(await finished(c.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(lines()[2]).toMatch(new RegExp(`^job ran in .*/node_modules/\\.cache/baton/git/[0-9a-f]{16}/${first}$`));

    // The same from the CLI: no file is read here, the flow is named.
    // (Not execFileSync: the API serving it runs in this process.)
    const { stdout: cli } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "deploy", "flows.ts:hello", "-n", "cli", "--flow", "pulled", "--pull", `file://${repo}#main`, "-p", "pulled"], {
      cwd: os.tmpdir(),
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: h.apiUrl },
    });
    expect(cli).toContain(`code: pulled from file://${repo} at main when each run starts`);
    const e = await h.client.deployments.run.mutate({ deployment: "pulled/cli", parameters: { marker } });
    expect(await finished(e.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(lines()[3]).toBe("Bonjour");

    // A repository that is not there: the run fails with git's reason.
    await h.client.deployments.create.mutate({ flow: "pulled", name: "gone", entrypoint: "flows.ts:hello", workPool: "pulled", pull: { git: `file://${repo}-missing`, ref: "main" } });
    const d = await h.client.deployments.run.mutate({ deployment: "pulled/gone", parameters: { marker } });
    const failed = await finished(d.id);
    expect(failed.stateType).toBe("FAILED");
    expect(failed.stateMessage).toMatch(/git clone failed: .*fatal: .*(does not (appear to be a git repository|exist)|not found)/i);
  }, 120_000);

  it("refuses a pull step that could smuggle git options or leave the repository", async () => {
    await expect(h.client.deployments.create.mutate({ flow: "x", name: "bad", entrypoint: "f.ts:x", pull: { git: "--upload-pack=touch /tmp/pwned", ref: "main" } })).rejects.toThrow(/pull.git: must be a git URL/);
    await expect(h.client.deployments.create.mutate({ flow: "x", name: "bad", entrypoint: "f.ts:x", pull: { git: "https://example.com/r.git", ref: "-x" } })).rejects.toThrow(/pull.ref: must be a branch, tag or commit/);
    await expect(h.client.deployments.create.mutate({ flow: "x", name: "bad", entrypoint: "f.ts:x", pull: { git: "https://example.com/r.git", ref: "main", directory: "../etc" } })).rejects.toThrow(/pull.directory: must be a path inside the repository/);
  });
});
