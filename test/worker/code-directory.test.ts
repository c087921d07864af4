/**
 * A process pool's code delivered with its deployment (`baton deploy --dir`): a folder with a
 * script and the data file it reads, outside Baton's checkout, is packed and deployed from
 * there; a worker started in an empty directory runs the pool's command inside the unpacked
 * folder — at the version each run was made with, even after a re-deploy, and the next run after
 * a re-deploy without a restart. An archive whose path escapes is refused by the API when it is
 * deployed and by the worker when it is handed one anyway. Counted by side effects: each run
 * appends the greeting it read and its working directory to a file.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { codeBundles, deployments } from "../../drizzle/schema";
import { codeVersionOf } from "../../server/domain/code-bundles";
import { isTerminalState } from "../../server/engine/state-types";
import { DIRECTORY_CACHE } from "../../workers/node/code-directory";
import { REPO_ROOT, useWorkerHarness, waitFor } from "./harness";

const CLI = path.join(REPO_ROOT, "bin/baton.mjs");

describe("a process pool's directory delivered with the deployment", () => {
  const h = useWorkerHarness();
  const parent = mkdtempSync(path.join(os.tmpdir(), "baton-dir-project-"));
  const project = path.join(parent, "train");
  const marker = path.join(parent, "side-effects.txt");

  function writeProject(greeting: string) {
    mkdirSync(path.join(project, "data"), { recursive: true });
    writeFileSync(path.join(project, "run.sh"), 'read greeting < data/greeting.txt\necho "$greeting from $(pwd)" >> "$MARKER"\n');
    writeFileSync(path.join(project, "data", "greeting.txt"), `${greeting}\n`);
    // Never packed: caches and installed packages.
    mkdirSync(path.join(project, "__pycache__"), { recursive: true });
    writeFileSync(path.join(project, "__pycache__", "run.cpython-311.pyc"), "compiled");
    mkdirSync(path.join(project, "node_modules", "left-pad"), { recursive: true });
    writeFileSync(path.join(project, "node_modules", "left-pad", "index.js"), "");
  }

  const baton = (args: string[], cwd = parent) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", BATON_API_URL: h.apiUrl } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const deploy = async () => {
    const out = await baton(["deploy", "--dir", "train", "-n", "d", "-p", "jobs"]);
    expect(out.code, out.stderr).toBe(0);
    return out.stdout;
  };
  const finished = (id: string) =>
    waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 60_000);
  const lines = () => readFileSync(marker, "utf8").split("\n").filter(Boolean);
  const hexOf = (version: string) => version.slice("sha256:".length);

  it("runs the pool's command inside the deployed folder, each run at the version it was made with", async () => {
    const pool = await baton(["work-pool", "create", "jobs", "--type", "process", "--job-template", JSON.stringify({ command: ["sh", "run.sh"], env: { MARKER: marker } })]);
    expect(pool.code, pool.stderr).toBe(0);
    expect((await h.client.workPools.get.query({ workPool: "jobs" })).baseJobTemplate).toEqual({ command: ["sh", "run.sh"], env: { MARKER: marker } });
    writeProject("Hello");
    const first = await deploy();
    // The flow is named after the folder; the skipped folders are not in it.
    expect(first).toMatch(/deployment train\/d → pool jobs/);
    expect(first).toMatch(/code: sha256:[0-9a-f]{12} \(a directory of 2 files, .* KB packed; the pool's command runs inside it\)/);
    const d1 = await h.client.deployments.get.query({ deployment: "train/d" });
    expect(d1.code?.files).toEqual(["data/greeting.txt", "run.sh"]);
    expect(d1.entrypoint).toBeNull();
    const v1 = d1.codeVersion!;
    // Packing the same files again gives the same version.
    await deploy();
    expect((await h.client.deployments.get.query({ deployment: "train/d" })).codeVersion).toBe(v1);
    // Made before the re-deploy, run after it: it keeps v1.
    const early = await h.client.deployments.run.mutate({ deployment: "train/d" });
    expect(early.codeVersion).toBe(v1);

    writeProject("Bonjour");
    await deploy();
    const v2 = (await h.client.deployments.get.query({ deployment: "train/d" })).codeVersion!;
    expect(v2).not.toBe(v1);
    const late = await h.client.deployments.run.mutate({ deployment: "train/d" });
    expect(late.codeVersion).toBe(v2);

    // A worker started in an empty directory: no project, no checkout of it, only Baton installed.
    const empty = mkdtempSync(path.join(os.tmpdir(), "baton-empty-"));
    const worker = h.startWorker(["-p", "jobs", "--name", "remote", "--limit", "1"], {}, empty);
    await h.waitForWorker(worker);
    expect(await finished(early.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(await finished(late.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(lines()).toEqual([`Hello from ${path.join(DIRECTORY_CACHE, hexOf(v1))}`, `Bonjour from ${path.join(DIRECTORY_CACHE, hexOf(v2))}`]);
    const logged = (await h.client.logs.list.query({ flowRunId: late.id })).items.map((l) => l.message).join("\n");
    expect(logged).toContain(`code: the directory deployed as ${v2.slice(0, 19)}`);
    // Unpacked read-only: a run cannot change what the next run of its version gets.
    expect(statSync(path.join(DIRECTORY_CACHE, hexOf(v2), "run.sh")).mode & 0o777).toBe(0o444);

    // Re-deployed while the worker runs: its next run runs the new files, no restart.
    writeProject("Salut");
    await deploy();
    const next = await h.client.deployments.run.mutate({ deployment: "train/d" });
    expect(await finished(next.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(lines().at(-1)).toMatch(/^Salut from /);
    expect(worker.child.exitCode).toBeNull();

    // workingDir is inside the folder, never outside it.
    await h.client.deployments.create.mutate({ flow: "train", name: "sub", workPool: "jobs", code: { source: readArchive(project), dependencies: {} }, jobVariables: { workingDir: ".." } });
    const outside = await finished((await h.client.deployments.run.mutate({ deployment: "train/sub" })).id);
    expect(outside.stateType).toBe("FAILED");
    expect(outside.stateMessage).toMatch(/workingDir \.\. is outside the deployed directory/);

    // The same folder from baton.yaml: deployed, then unchanged the second time.
    writeFileSync(path.join(parent, "baton.yaml"), "project: dirs\ndeployments:\n  - name: yaml\n    directory: train\n    workPool: jobs\n");
    const applied = await baton(["deploy", "--all"]);
    expect(applied.stdout).toMatch(/\+ train\/yaml {2}create/);
    expect((await h.client.deployments.get.query({ deployment: "train/yaml" })).codeVersion).toBe((await h.client.deployments.get.query({ deployment: "train/d" })).codeVersion);
    expect((await baton(["deploy", "--all"])).stdout).toMatch(/= train\/yaml {2}unchanged/);
    writeProject("Hej");
    expect((await baton(["deploy", "--all"])).stdout).toMatch(/~ train\/yaml {2}update: code sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}/);
    const fromYaml = await h.client.deployments.run.mutate({ deployment: "train/yaml" });
    expect(await finished(fromYaml.id)).toMatchObject({ stateType: "COMPLETED" });
    expect(lines().at(-1)).toMatch(/^Hej from /);
  }, 180_000);

  it("refuses a folder for a node pool, a folder that is not there and a job template that is not JSON", async () => {
    await h.client.workPools.create.mutate({ name: "flows", type: "node" });
    expect((await baton(["work-pool", "create", "p2", "--type", "process", "--job-template", "{command:"])).stderr).toMatch(/--job-template is not valid JSON/);
    writeProject("Hello");
    const node = await baton(["deploy", "--dir", "train", "-n", "n", "-p", "flows"]);
    expect(node.code).not.toBe(0);
    expect(node.stderr).toMatch(/--dir is the code of a process pool's command; pool flows is a node pool/);
    writeFileSync(path.join(parent, "flows.yaml"), "project: wrong\ndeployments:\n  - name: n\n    directory: train\n    workPool: flows\n");
    expect((await baton(["deploy", "--all", "--file", "flows.yaml"])).stderr).toMatch(/n: directory is the code of a process pool's command; pool flows is a node pool/);
    const missing = await baton(["deploy", "--dir", "nowhere", "-n", "n", "-p", "jobs"]);
    expect(missing.stderr).toMatch(/--dir nowhere: no such directory/);
  });

  it("refuses an archive whose path escapes: the API when it is deployed, the worker when it is handed one", async () => {
    const escaping = archive([{ path: "../escaped.txt", text: "out" }, { path: "run.sh", text: 'echo ran >> "$MARKER"\n' }]);
    await expect(h.client.deployments.create.mutate({ flow: "evil", name: "up", workPool: "jobs", code: { source: escaping, dependencies: {} } })).rejects.toThrow(
      /code\.source: files\.0: path "\.\.\/escaped\.txt" has a \.\. segment: it would escape the directory/,
    );
    await expect(h.client.deployments.create.mutate({ flow: "evil", name: "abs", workPool: "jobs", code: { source: archive([{ path: "/etc/cron.d/x", text: "" }]), dependencies: {} } })).rejects.toThrow(/is absolute: it would escape the directory/);
    const link = `{"format":"baton-directory/1","files":[{"path":"run.sh","size":0,"deflate":"","symlink":"/etc/passwd"}]}`;
    await expect(h.client.deployments.create.mutate({ flow: "evil", name: "link", workPool: "jobs", code: { source: link, dependencies: {} } })).rejects.toThrow(/files\.0 \(run\.sh\): .*regular files only \(no links/);

    // Stored behind the API's back (as a tampered database would hold it): the worker checks it itself.
    await h.client.deployments.create.mutate({ flow: "evil", name: "stored", workPool: "jobs", code: { source: archive([{ path: "run.sh", text: "true\n" }]), dependencies: {} } });
    const ws = (await h.db.select({ workspaceId: deployments.workspaceId }).from(deployments).limit(1))[0]!.workspaceId;
    const version = codeVersionOf(escaping);
    const [bundle] = await h.db.insert(codeBundles).values({ workspaceId: ws, version, source: escaping, sizeBytes: escaping.length, dependencies: {}, files: [] }).returning();
    const stored = await h.client.deployments.get.query({ deployment: "evil/stored" });
    await h.db.update(deployments).set({ codeBundleId: bundle!.id, codeVersion: version }).where(eq(deployments.id, stored.id));
    const worker = h.startWorker(["-p", "jobs", "--name", "checker", "--limit", "1"], {}, mkdtempSync(path.join(os.tmpdir(), "baton-empty-")));
    await h.waitForWorker(worker);
    const before = existsSync(marker) ? lines().length : 0;
    const run = await h.client.deployments.run.mutate({ deployment: "evil/stored" });
    expect(run.codeVersion).toBe(version);
    const failed = await finished(run.id);
    expect(failed.stateType).toBe("FAILED");
    expect(failed.stateMessage).toMatch(/refusing this run's code: files\.0: path "\.\.\/escaped\.txt" has a \.\. segment: it would escape the directory/);
    expect(existsSync(path.join(DIRECTORY_CACHE, "escaped.txt"))).toBe(false);
    expect(existsSync(path.join(DIRECTORY_CACHE, hexOf(version)))).toBe(false);
    expect(existsSync(marker) ? lines().length : 0).toBe(before);
  }, 120_000);
});

/** A hand-made archive, as an attacker would write one (the CLI's packer refuses such paths). */
function archive(files: { path: string; text: string }[]): string {
  const entries = files.map((f) => ({ path: f.path, size: Buffer.byteLength(f.text), deflate: deflateRawSync(Buffer.from(f.text)).toString("base64") }));
  return JSON.stringify({ format: "baton-directory/1", files: entries });
}

/** The project's files as an archive (what `baton deploy --dir` would send). */
function readArchive(dir: string): string {
  return archive(["run.sh", "data/greeting.txt"].map((p) => ({ path: p, text: readFileSync(path.join(dir, p), "utf8") })));
}
