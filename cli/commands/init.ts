/**
 * `baton init [file.ts:flow …] [--project NAME] [--force]`: writes baton.yaml, the project file
 * `baton deploy --all` applies (../project.ts), here. The project is named after package.json's
 * name (or this directory); each entrypoint given is listed as a deployment to fill in, else a
 * commented example is.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { print } from "../context";
import { CliError } from "../errors";
import { out } from "../output/style";
import { PROJECT_FILE, projectTemplate, readProject, zProject } from "../project";

function projectName(dir: string): string {
  let name = path.basename(dir);
  const pkg = path.join(dir, "package.json");
  if (existsSync(pkg)) {
    try {
      name = String((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name ?? name);
    } catch {
      /* not JSON: the directory's name will do */
    }
  }
  return name.replace(/^@[^/]+\//, "").replace(/[^a-z0-9._-]+/gi, "-").replace(/^[^a-z0-9]+/i, "") || "project";
}

export function initCommand(): Command {
  return new Command("init")
    .description(`Write ${PROJECT_FILE} here: this project's deployments, applied with baton deploy --all`)
    .argument("[entrypoints...]", "flows to list as deployments (path/to/file.ts:flow or kind:<name>)")
    .option("--project <name>", "the project's name (default: package.json's name, or this directory's)")
    .option("--force", `overwrite an existing ${PROJECT_FILE}`)
    .action((entrypoints: string[], opts: { project?: string; force?: boolean }) => {
      const file = path.resolve(PROJECT_FILE);
      if (existsSync(file) && !opts.force) throw new CliError(`${PROJECT_FILE} exists already; edit it, or --force to write it anew`);
      const project = opts.project ?? projectName(process.cwd());
      const named = zProject.shape.project.safeParse(project);
      if (!named.success) throw new CliError(`--project: ${named.error.issues[0]!.message}`);
      const flows = entrypoints.map((e) => ({ entrypoint: e, name: (e.split(":").pop() ?? "main").replace(/[^a-z0-9._-]+/gi, "-") || "main" }));
      writeFileSync(file, projectTemplate(project, flows));
      readProject(file); // what was written reads back (a bad --project is refused here)
      print(`Wrote ${out.bold(PROJECT_FILE)} for project ${out.bold(project)}${flows.length ? ` with ${flows.length} deployment${flows.length === 1 ? "" : "s"}` : ""}.`);
      print(`Edit it, then: baton deploy --all --dry-run   (and without --dry-run to apply)`);
    });
}
