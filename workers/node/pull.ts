/**
 * A deployment's pull step on a worker: the code comes from a git repository. The worker keeps
 * one clone per repository and one exported tree per commit (node_modules/.cache/baton/git/),
 * resolves the deployment's ref when each run starts (a branch moves; the commit is logged with
 * the run), and runs the entrypoint from that tree: a TypeScript flow is bundled there like a
 * deployed one (../../cli/bundle.ts: Baton's SDK from this worker, packages from its
 * node_modules), a process pool's command runs in it.
 *
 * git runs with no terminal prompt (a repository that needs credentials fails at once, saying
 * so, instead of hanging the worker) and with a timeout.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { EntrypointError } from "./entrypoints";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const GIT_CACHE = path.join(REPO_ROOT, "node_modules", ".cache", "baton", "git");
const GIT_TIMEOUT_MS = 120_000;

export interface PullStep {
  git: string;
  ref: string;
  directory?: string;
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run("git", args, {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "echo", GCM_INTERACTIVE: "never" },
    });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    if (e.code === "ENOENT") throw new EntrypointError("this deployment pulls its code from git, and git is not installed on this worker");
    const lines = (e.stderr ?? e.message).trim().split("\n").filter(Boolean);
    const fatal = lines.filter((l) => /^(fatal|error):/.test(l));
    const why = (fatal.length ? fatal : lines.slice(-2)).join("; ");
    throw new EntrypointError(`git ${args[0]} failed: ${why}`);
  }
}

const inFlight = new Map<string, Promise<{ dir: string; commit: string }>>();

/** The tree of `pull.ref` as it is now: `{ dir, commit }`, `dir` already inside `directory`. */
export function checkoutOf(pull: PullStep): Promise<{ dir: string; commit: string }> {
  const key = `${pull.git}\n${pull.ref}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = resolve(pull).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function resolve(pull: PullStep): Promise<{ dir: string; commit: string }> {
  const repoKey = createHash("sha1").update(pull.git).digest("hex").slice(0, 16);
  const clone = path.join(GIT_CACHE, repoKey, "repo.git");
  if (!existsSync(clone)) {
    mkdirSync(path.dirname(clone), { recursive: true });
    const tmp = `${clone}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    await git(["clone", "--bare", "--quiet", "--", pull.git, tmp]);
    renameSync(tmp, clone);
  }
  await git(["fetch", "--quiet", "--force", "--", pull.git, pull.ref], clone);
  const commit = await git(["rev-parse", "--verify", "FETCH_HEAD^{commit}"], clone);
  const tree = path.join(GIT_CACHE, repoKey, commit);
  if (!existsSync(tree)) {
    // Exported whole into a fresh folder, then renamed: never half a tree.
    const tmp = `${tree}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    // git archive reads the commit without touching an index, so exports of two commits can run at once.
    const tar = `${tmp}.tar`;
    await git(["archive", "--format=tar", "-o", tar, commit], clone);
    try {
      await run("tar", ["-xf", tar, "-C", tmp], { timeout: GIT_TIMEOUT_MS });
    } finally {
      rmSync(tar, { force: true });
    }
    renameSync(tmp, tree);
  }
  const dir = pull.directory ? path.join(tree, pull.directory) : tree;
  if (!existsSync(dir)) throw new EntrypointError(`directory ${pull.directory} is not in ${pull.git} at ${pull.ref} (${commit.slice(0, 12)})`);
  return { dir, commit };
}
