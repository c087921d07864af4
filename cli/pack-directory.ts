/**
 * Packing a directory for a process pool (`baton deploy --dir`): its files go into one
 * ../common/code-archive.ts document, stored on the server by its content hash as the
 * deployment's code version, so a worker anywhere runs the pool's command inside exactly those
 * files — a training script and its requirements travel without git.
 *
 * Which files: when the directory is in a git work tree, the ones git would commit (tracked, and
 * untracked ones .gitignore does not exclude: git itself reads the ignore rules); otherwise every
 * file under it. Never `.git`, `node_modules`, `__pycache__` or `.venv`. A symbolic link is
 * refused, naming it (the worker unpacks regular files only). Too big a directory is refused
 * naming its largest files.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { MAX_DIRECTORY_BYTES, MAX_DIRECTORY_FILES, writeDirectoryArchive, type DirectoryFile } from "../common/code-archive";
import { BundleError, MAX_BUNDLE_BYTES } from "./bundle";

export const SKIPPED_DIRECTORIES = new Set([".git", "node_modules", "__pycache__", ".venv"]);

export interface DirectoryBundle {
  /** The archive's text. */
  source: string;
  /** `sha256:<hex>` of the source: the code version. */
  version: string;
  /** The packed files, relative to the directory. */
  files: string[];
  /** Their bytes, unpacked. */
  sizeBytes: number;
}

const skipped = (rel: string) => rel.split("/").some((segment) => SKIPPED_DIRECTORIES.has(segment));

/** The files git would commit under `dir` (relative to it), or null when `dir` is not in a git work tree. */
function gitFiles(dir: string): string[] | null {
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], { cwd: dir, stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 });
    return [...new Set(out.toString("utf8").split("\0").filter(Boolean))];
  } catch {
    return null; // not a work tree, or no git here: every file
  }
}

function walk(dir: string, rel = ""): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) found.push(...walk(dir, child));
    } else found.push(child);
  }
  return found;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Packs `dir` (relative to `cwd`); refuses links, an empty directory and one over the caps. */
export function packDirectory(dir: string, cwd: string): DirectoryBundle {
  const root = path.resolve(cwd, dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new BundleError(`--dir ${dir}: no such directory`);
  const fromGit = gitFiles(root);
  if (fromGit && fromGit.length === 0 && walk(root).length) throw new BundleError(`--dir ${dir}: git ignores every file in it (.gitignore): nothing to pack`);
  const listed = (fromGit ?? walk(root)).filter((rel) => !skipped(rel)).sort();
  const files: DirectoryFile[] = [];
  let total = 0;
  for (const rel of listed) {
    const abs = path.join(root, rel);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue; // tracked by git but deleted from the work tree: not part of the directory now
    }
    if (st.isSymbolicLink()) throw new BundleError(`${path.join(dir, rel)} is a symbolic link: baton deploy --dir packs regular files only (copy what it points to, or .gitignore it)`);
    if (!st.isFile()) continue;
    total += st.size;
    files.push({ path: rel, bytes: new Uint8Array(0), executable: (st.mode & 0o111) !== 0 });
  }
  if (!files.length) throw new BundleError(`--dir ${dir}: no files to pack`);
  if (files.length > MAX_DIRECTORY_FILES) throw new BundleError(`--dir ${dir} has ${files.length} files, over ${MAX_DIRECTORY_FILES}`);
  const largest = () =>
    files
      .map((f) => ({ path: f.path, size: statSync(path.join(root, f.path)).size }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((f) => `${f.path} (${mb(f.size)})`)
      .join(", ");
  const advice = "keep data and models out of the code: .gitignore them, or give the job their path or an artifact as a parameter";
  if (total > MAX_DIRECTORY_BYTES) throw new BundleError(`--dir ${dir} holds ${mb(total)}, over ${mb(MAX_DIRECTORY_BYTES)}; largest: ${largest()}: ${advice}`);
  for (const f of files) f.bytes = readFileSync(path.join(root, f.path));
  const source = writeDirectoryArchive(files);
  const packed = Buffer.byteLength(source);
  if (packed > MAX_BUNDLE_BYTES) throw new BundleError(`--dir ${dir} packs to ${mb(packed)}, over the ${mb(MAX_BUNDLE_BYTES)} the server keeps; largest: ${largest()}: ${advice}`);
  return { source, version: `sha256:${createHash("sha256").update(source).digest("hex")}`, files: files.map((f) => f.path), sizeBytes: total };
}
