/**
 * The project file, `baton.yaml`: every deployment of a project in one reviewed file, applied
 * with `baton deploy --all` (create what is new, update what changed, leave the rest, and with
 * `--prune` delete the project's deployments the file no longer lists). `baton init` writes one.
 *
 * YAML rather than `baton.config.ts`: a deployment is data (names, schedules, parameters), the
 * file is read by people reviewing a change and by tools that are not TypeScript, and it needs
 * no build step to be read; the flows it names stay typed where they are written. Errors name
 * the line.
 *
 * The project's deployments carry the tag `project:<name>`, which is how `--prune` knows which
 * deployments of the workspace are this file's to remove — never another project's.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { z } from "zod";
import { CliError } from "./errors";

export const PROJECT_FILE = "baton.yaml";
export const projectTag = (project: string) => `project:${project}`;

const zSchedule = z
  .strictObject({
    cron: z.string().min(1).optional(),
    seconds: z.boolean().optional(),
    interval: z.number().int().positive().optional(),
    timezone: z.string().min(1).optional(),
    active: z.boolean().optional(),
  })
  .refine((s) => (s.cron === undefined) !== (s.interval === undefined), "give cron or interval (seconds), one of them");

const zDeployment = z
  .strictObject({
    name: z.string().min(1).max(200),
    /** `path/to/file.ts:flow` (relative to baton.yaml), or `kind:<name>`. */
    entrypoint: z.string().min(1).optional(),
    /** Or a process pool's code: this folder (relative to baton.yaml), packed as `baton deploy --dir` does. */
    directory: z.string().min(1).optional(),
    /** kind: and directory deployments: the flow it belongs to (default: the kind's name, the folder's name). */
    flow: z.string().min(1).optional(),
    workPool: z.string().min(1).optional(),
    workQueue: z.string().min(1).optional(),
    description: z.string().optional(),
    version: z.string().optional(),
    tags: z.array(z.string().min(1)).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    jobVariables: z.record(z.string(), z.unknown()).optional(),
    /** Retries, delays, timeout, requirements: as the API's policy. */
    policy: z.record(z.string(), z.unknown()).optional(),
    schedules: z.array(zSchedule).max(100).optional(),
    paused: z.boolean().optional(),
    /** false: workers run the entrypoint from their own checkout (as --no-bundle). */
    bundle: z.boolean().optional(),
  })
  .refine((d) => (d.entrypoint === undefined) !== (d.directory === undefined), "give entrypoint (a flow file or kind:<name>) or directory (a process pool's code), one of them");

export const zProject = z.strictObject({
  project: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/i, "must be a name of letters, digits, ., _ and - (it tags the deployments)"),
  deployments: z.array(zDeployment).max(1000).default([]),
});

export type ProjectFile = z.infer<typeof zProject>;
export type ProjectDeployment = ProjectFile["deployments"][number];

/** The node at a path of the document, for its line. */
function nodeAt(root: Node | null | undefined, path: PropertyKey[]): Node | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (isMap(node)) node = node.get(key as string, true);
    else if (isSeq(node)) node = node.get(key as number, true);
    else return root ?? undefined;
  }
  return (node as Node | undefined) ?? undefined;
}

/** Reads and checks a project file; every problem names its place (`deployments.1.schedules.0`, line 12). */
export function readProject(file: string): ProjectFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CliError(`no ${file} here: write one with baton init, or name it with --file`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    throw new CliError(`${file}:${at.line}: ${e.message.split("\n")[0]}`);
  }
  const parsed = zProject.safeParse(doc.toJS());
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => {
      const node = nodeAt(doc.contents, issue.path);
      const line = node?.range ? `:${lines.linePos(node.range[0]).line}` : "";
      return `${file}${line}: ${issue.path.join(".") || "the file"}: ${issue.message}`;
    });
    throw new CliError(problems.join("\n"));
  }
  const names = new Map<string, number>();
  for (const [i, d] of parsed.data.deployments.entries()) {
    const key = `${d.flow ?? d.entrypoint ?? path.basename(d.directory!)}/${d.name}`;
    if (names.has(key)) throw new CliError(`${file}: deployments.${i}: "${d.name}" of ${d.entrypoint ?? d.directory} is listed twice (also deployments.${names.get(key)})`);
    names.set(key, i);
  }
  return parsed.data;
}

/** What `baton init` writes: the project, and one commented example per kind of deployment. */
export function projectTemplate(project: string, flows: { entrypoint: string; name: string }[]): string {
  const listed = flows.length
    ? flows
        .map(
          (f) => `  - name: ${f.name}
    entrypoint: ${f.entrypoint}
    workPool: default
    # schedules:
    #   - cron: "0 8 * * *"
    #     timezone: Europe/Paris
    # parameters: {}`,
        )
        .join("\n")
    : `  # - name: nightly
  #   entrypoint: flows/etl.ts:etl      # a flow file (bundled and delivered), or kind:<name>
  #   # directory: train/               # or, for a process pool: this folder, packed and delivered
  #   workPool: default
  #   schedules:
  #     - cron: "0 8 * * *"
  #       timezone: Europe/Paris
  #   parameters: { day: today }`;
  return `# Baton project file: the deployments of this project.
# Apply it with \`baton deploy --all\` (add --prune to delete deployments no longer listed here,
# --dry-run to see the plan only). Deployments made from it carry the tag project:${project}.
project: ${project}
deployments:
${listed}
`;
}
