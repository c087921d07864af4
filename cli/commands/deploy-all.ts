/**
 * `baton deploy --all [--file baton.yaml] [--dry-run] [--prune]`: applies the project file
 * (../project.ts). Each deployment it lists is compared with the server's: new ones are
 * created, changed ones updated (the plan names what changed), unchanged ones left alone, so
 * running it twice changes nothing. Deployments of the project (tag `project:<name>`) that the
 * file no longer lists are reported, and deleted only with `--prune`.
 */
import path from "node:path";
import type { Command } from "commander";
import { clientErrorCode } from "../../server/client";
import { kindOfEntrypoint } from "../../workers/kinds/registry";
import { apiContext, print, printJson, type ApiContext } from "../context";
import { CliError } from "../errors";
import { out } from "../output/style";
import { PROJECT_FILE, projectTag, readProject, type ProjectDeployment } from "../project";
import { directoryFields, flowFields, flowOfDirectory, requireProcessPool } from "./deploy";

type Client = ApiContext["client"];
type Deployment = Awaited<ReturnType<Client["deployments"]["get"]["query"]>>;
type Fields = Parameters<Client["deployments"]["create"]["mutate"]>[0];

/** JSON with sorted keys, for comparing what the file says with what the server holds. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const scheduleKey = (s: { cron?: string | null; intervalSeconds?: number | null; timezone?: string | null; active?: boolean | null }) =>
  stable({ cron: s.cron ?? null, interval: s.intervalSeconds ?? null, timezone: s.timezone ?? "UTC", active: s.active ?? true });

/** What the file asks of one deployment, as the API's fields, and the flow it belongs to. */
async function desired(d: ProjectDeployment, project: string, dir: string): Promise<{ flow: string; fields: Fields; codeVersion: string | null; kind: boolean }> {
  const schedules = d.schedules?.map((s) =>
    s.cron !== undefined
      ? { cron: s.cron, timezone: s.timezone, active: s.active, ...(s.seconds ? { seconds: true } : {}) }
      : { intervalSeconds: s.interval, timezone: s.timezone, active: s.active },
  );
  const common = {
    parameters: d.parameters ?? {},
    workPool: d.workPool,
    workQueue: d.workQueue,
    version: d.version ?? null,
    schedules: schedules ?? [],
    jobVariables: (d.jobVariables ?? {}) as Fields["jobVariables"],
    paused: d.paused ?? false,
  };
  if (d.directory !== undefined) {
    if (d.bundle === false) throw new CliError(`${d.name}: a directory is always delivered; bundle: false is for flow files`);
    const flow = d.flow ?? flowOfDirectory(d.directory, dir);
    const { code, version, entrypoint, pull } = directoryFields(d.directory, dir);
    const fields = { flow, name: d.name, entrypoint, pull, code, ...common, tags: [...new Set([...(d.tags ?? []), projectTag(project)])], description: d.description ?? null, policy: (d.policy ?? {}) as Fields["policy"] };
    // Compared like a kind's: no parameter schema is read from a folder.
    return { flow, fields, codeVersion: version, kind: true };
  }
  const entry = d.entrypoint!;
  const kind = kindOfEntrypoint(entry);
  if (kind !== undefined) {
    const flow = d.flow ?? kind;
    const fields = { flow, name: d.name, entrypoint: entry, ...common, tags: [...new Set([...(d.tags ?? []), projectTag(project)])], description: d.description ?? null, policy: (d.policy ?? {}) as Fields["policy"] };
    return { flow, fields, codeVersion: null, kind: true };
  }
  if (d.flow) throw new CliError(`${d.name}: flow is for kind: deployments; a flow file's deployment belongs to the flow it exports`);
  const { definition, code, base } = await flowFields(entry, dir, d.bundle !== false);
  const fields = {
    flow: definition.name,
    name: d.name,
    ...base,
    ...common,
    ...(d.policy ? { policy: d.policy as Fields["policy"] } : {}),
    tags: [...new Set([...(d.tags ?? definition.options.tags ?? []), projectTag(project)])],
    description: d.description ?? definition.options.description ?? null,
  };
  return { flow: definition.name, fields, codeVersion: code?.version ?? null, kind: false };
}

/** The fields that differ between the server's deployment and the file's, by name. */
function changes(current: Deployment, want: { fields: Fields; codeVersion: string | null; kind: boolean }): string[] {
  const f = want.fields;
  const diff: [string, unknown, unknown][] = [
    ["entrypoint", current.entrypoint, f.entrypoint],
    ["code", current.codeVersion, want.codeVersion],
    ["parameters", current.parameters, f.parameters],
    ["policy", current.policy, f.policy ?? {}],
    ["tags", [...current.tags].sort(), [...(f.tags ?? [])].sort()],
    ["description", current.description, f.description ?? null],
    ["version", current.version, f.version ?? null],
    ["schedules", current.schedules.map(scheduleKey).sort(), (f.schedules ?? []).map(scheduleKey).sort()],
    ["jobVariables", current.jobVariables, f.jobVariables ?? {}],
    ["paused", current.paused, f.paused ?? false],
  ];
  if (!want.kind) diff.push(["parameterSchema", current.parameterSchema, f.parameterSchema]);
  if (f.workPool !== undefined) diff.push(["workPool", current.workPoolName, f.workPool]);
  if (f.workQueue !== undefined) diff.push(["workQueue", current.workQueueName, f.workQueue]);
  return diff.filter(([, a, b]) => stable(a) !== stable(b)).map(([name]) => (name === "code" ? `code ${short(current.codeVersion)} → ${short(want.codeVersion)}` : name));
}

const short = (v: string | null) => (v ? v.slice(0, 19) : "checkout");

export async function deployAll(opts: { file?: string; prune?: boolean; dryRun?: boolean; json?: boolean }, command: Command): Promise<void> {
  const file = path.resolve(opts.file ?? PROJECT_FILE);
  const project = readProject(file);
  const dir = path.dirname(file);
  const { client } = apiContext(command);
  const plan: { key: string; action: "create" | "update" | "unchanged"; changed: string[]; fields: Fields }[] = [];
  for (const d of project.deployments) {
    const want = await desired(d, project.project, dir);
    if (d.directory !== undefined && d.workPool) await requireProcessPool(client, d.workPool, `${d.name}: directory`);
    const key = `${want.flow}/${d.name}`;
    let current: Deployment | undefined;
    try {
      current = await client.deployments.get.query({ deployment: key });
    } catch (err) {
      if (clientErrorCode(err) !== "NOT_FOUND") throw err;
    }
    if (!current) plan.push({ key, action: "create", changed: [], fields: want.fields });
    else {
      const changed = changes(current, want);
      plan.push({ key, action: changed.length ? "update" : "unchanged", changed, fields: want.fields });
    }
  }
  const listed = new Set(plan.map((p) => p.key));
  const ours = (await client.deployments.list.query()).filter((d) => d.tags.includes(projectTag(project.project)));
  const orphans = ours.filter((d) => !listed.has(`${d.flowName}/${d.name}`));

  if (!opts.json) {
    print(`${path.relative(process.cwd(), file) || PROJECT_FILE}: project ${out.bold(project.project)}, ${plan.length} deployment${plan.length === 1 ? "" : "s"}`);
    for (const p of plan) {
      if (p.action === "create") print(`  ${out.green("+")} ${p.key}  create`);
      else if (p.action === "update") print(`  ${out.yellow("~")} ${p.key}  update: ${p.changed.join(", ")}`);
      else print(`  ${out.dim("=")} ${p.key}  ${out.dim("unchanged")}`);
    }
    for (const o of orphans) {
      print(`  ${out.red(opts.prune ? "-" : "?")} ${o.flowName}/${o.name}  ${opts.prune ? "delete (not in the file)" : `not in the file: kept (--prune deletes it)`}`);
    }
  }
  if (opts.dryRun) {
    if (!opts.json) print(out.dim("Dry run: nothing was changed."));
    else printJson({ plan: plan.map(({ key, action, changed }) => ({ deployment: key, action, changed })), notInFile: orphans.map((o) => `${o.flowName}/${o.name}`) });
    return;
  }
  const results: { deployment: string; action: string; changed?: string[]; withdrawnRuns?: number }[] = [];
  for (const p of plan) {
    if (p.action === "create") await client.deployments.create.mutate(p.fields);
    else if (p.action === "update") {
      const { flow: _f, name: _n, ...patch } = p.fields;
      await client.deployments.update.mutate({ deployment: p.key, ...patch });
    }
    results.push({ deployment: p.key, action: p.action, changed: p.changed });
  }
  if (opts.prune) {
    for (const o of orphans) {
      const { withdrawnRuns } = await client.deployments.delete.mutate({ deployment: o.id });
      results.push({ deployment: `${o.flowName}/${o.name}`, action: "delete", withdrawnRuns });
      if (!opts.json && withdrawnRuns) print(out.dim(`  ${o.flowName}/${o.name}: ${withdrawnRuns} waiting run${withdrawnRuns === 1 ? "" : "s"} withdrawn`));
    }
  }
  if (opts.json) return printJson({ applied: results, notInFile: opts.prune ? [] : orphans.map((o) => `${o.flowName}/${o.name}`) });
  const counts = (a: string) => results.filter((r) => r.action === a).length;
  print(`Applied: ${counts("create")} created, ${counts("update")} updated, ${counts("unchanged")} unchanged${opts.prune ? `, ${counts("delete")} deleted` : ""}.`);
}
