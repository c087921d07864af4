/**
 * Packing a folder for `baton deploy --dir` and unpacking it on a worker, on real files: what is
 * left out (git's ignore rules, caches, installed packages), what is refused (links, too big a
 * folder; in an archive: escaping or doubled paths, a file that unpacks to more than it declares),
 * and that the same files give the same version.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readDirectoryArchive } from "../../common/code-archive";
import { packDirectory } from "../../cli/pack-directory";
import { unpackDirectory } from "../../workers/node/code-directory";

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));
const write = (file: string, text: string | Buffer) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const archive = (files: { path: string; text: string; size?: number }[]) =>
  JSON.stringify({ format: "baton-directory/1", files: files.map((f) => ({ path: f.path, size: f.size ?? Buffer.byteLength(f.text), deflate: deflateRawSync(Buffer.from(f.text)).toString("base64") })) });

describe("baton deploy --dir packing", () => {
  it("packs what git would commit, never caches or packages, and unpacks the same bytes read-only", () => {
    const dir = tmp("baton-pack-");
    write(path.join(dir, "train.py"), "print('hi')\n");
    write(path.join(dir, "requirements.txt"), "torch\n");
    write(path.join(dir, "data", "labels.csv"), "a,1\n");
    write(path.join(dir, "big.bin"), "ignored by git");
    write(path.join(dir, ".gitignore"), "*.bin\nruns/\n");
    write(path.join(dir, "runs", "out.txt"), "ignored folder");
    write(path.join(dir, "__pycache__", "bert.pyc"), "cache");
    write(path.join(dir, "node_modules", "x", "index.js"), "");
    execFileSync("chmod", ["+x", path.join(dir, "train.py")]);
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "train.py"], { cwd: dir }); // one tracked, the rest untracked: both packed
    const packed = packDirectory(".", dir);
    expect(packed.files).toEqual([".gitignore", "data/labels.csv", "requirements.txt", "train.py"]);
    expect(packed.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Same files, same version (no times in it).
    expect(packDirectory(".", dir).version).toBe(packed.version);

    const target = path.join(tmp("baton-unpack-"), "v");
    unpackDirectory(packed.source, target);
    expect(readFileSync(path.join(target, "data", "labels.csv"), "utf8")).toBe("a,1\n");
    expect(statSync(path.join(target, "train.py")).mode & 0o777).toBe(0o555);
    expect(statSync(path.join(target, "requirements.txt")).mode & 0o777).toBe(0o444);
    expect(readdirSync(target).sort()).toEqual([".gitignore", "data", "requirements.txt", "train.py"]);
  });

  it("outside git, packs every file but the skipped folders", () => {
    const dir = tmp("baton-pack-plain-");
    write(path.join(dir, "job.sh"), "true\n");
    write(path.join(dir, ".venv", "bin", "python"), "");
    write(path.join(dir, "sub", "__pycache__", "m.pyc"), "");
    write(path.join(dir, "sub", "m.py"), "");
    expect(packDirectory(dir, "/").files).toEqual(["job.sh", "sub/m.py"]);
  });

  it("refuses links, an empty folder and one over the caps, naming them", () => {
    const dir = tmp("baton-pack-bad-");
    write(path.join(dir, "job.sh"), "true\n");
    symlinkSync("/etc/passwd", path.join(dir, "passwd"));
    expect(() => packDirectory(dir, "/")).toThrow(/passwd is a symbolic link: baton deploy --dir packs regular files only/);

    expect(() => packDirectory(tmp("baton-pack-empty-"), "/")).toThrow(/no files to pack/);

    const big = tmp("baton-pack-big-");
    write(path.join(big, "job.sh"), "true\n");
    write(path.join(big, "weights.bin"), "");
    truncateSync(path.join(big, "weights.bin"), 65 * 1024 * 1024); // sparse: no 65 MiB written
    expect(() => packDirectory(big, "/")).toThrow(/holds 65\.0 MiB, over 64\.0 MiB; largest: weights\.bin \(65\.0 MiB\)/);

    const dense = tmp("baton-pack-dense-");
    write(path.join(dense, "noise.bin"), randomBytes(9 * 1024 * 1024));
    expect(() => packDirectory(dense, "/")).toThrow(/packs to 12\.\d MiB, over the 8\.0 MiB the server keeps; largest: noise\.bin/);
  });
});

describe("unpacking an archive on the worker", () => {
  const refused = (source: string) => {
    const target = path.join(tmp("baton-unpack-bad-"), "v");
    let message = "";
    try {
      unpackDirectory(source, target);
    } catch (err) {
      message = (err as Error).message;
    }
    // Refused whole: nothing left behind, not even the fresh folder.
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(path.dirname(target))).toEqual([]);
    return message;
  };

  it("refuses paths that escape, doubled paths, links and files that unpack to more than they say", () => {
    expect(refused(archive([{ path: "ok.txt", text: "" }, { path: "a/../../x", text: "x" }]))).toMatch(/files\.1: path "a\/\.\.\/\.\.\/x" has a \.\. segment: it would escape the directory/);
    expect(refused(archive([{ path: "/tmp/x", text: "x" }]))).toMatch(/path "\/tmp\/x" is absolute/);
    expect(refused(archive([{ path: "C:/x", text: "x" }]))).toMatch(/is absolute/);
    expect(refused(archive([{ path: "a\\..\\x", text: "x" }]))).toMatch(/contains a backslash/);
    expect(refused(archive([{ path: "a", text: "1" }, { path: "a", text: "2" }]))).toMatch(/path a is in the archive twice/);
    expect(refused(archive([{ path: "a", text: "1" }, { path: "a/b", text: "2" }]))).toMatch(/path a\/b lies inside a, which is a file/);
    expect(refused(`{"format":"baton-directory/1","files":[{"path":"l","size":0,"deflate":"","symlink":"/etc"}]}`)).toMatch(/files\.0 \(l\): .*regular files only \(no links/);
    // A small archive that would unpack to far more than it declares.
    const bomb = archive([{ path: "zeros", text: "\0".repeat(1_000_000), size: 10 }]);
    expect(refused(bomb)).toMatch(/zeros: its bytes do not unpack to 10 bytes/);
    expect(refused("{}")).toMatch(/not a baton-directory\/1 archive/);
  });

  it("reads what the packer writes", () => {
    const dir = tmp("baton-pack-read-");
    write(path.join(dir, "a", "b.txt"), "b");
    expect(readDirectoryArchive(packDirectory(dir, "/").source).map((e) => e.path)).toEqual(["a/b.txt"]);
  });
});
