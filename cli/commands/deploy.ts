/**
 * `baton deploy path/to/file.ts:myFlow -n NAME -p POOL`: registers (or updates) a deployment of
 * a TypeScript flow. The flow module is imported here to read its name, parameter schema and run
 * policy, and bundled with its local imports (../bundle.ts) as the deployment's code: any worker
 * of the pool runs that exact version without this checkout. With `--no-bundle` the entrypoint,
 * stored relative to the current directory, is looked up in each worker's own checkout instead
 * (run `baton worker start` from the same place in theirs).
 *
 * `baton deploy --dir path/to/folder -n NAME -p POOL`: a process pool's deployment whose code is
 * the folder, packed (../pack-directory.ts): the pool's command runs inside it on the worker.
 *
 * `baton deploy kind:cluster -n NAME -p POOL`: a deployment of a built-in task kind. No file is
 * looked up: the server checks the kind against its registry and gives the deployment the kind's
 * parameter schema, so `--param` defaults are checked against what the kind takes. Its flow is
 * named after the kind unless `--flow` says otherwise.
 */
import path from "node:path";
import { Command } from "commander";
import { describeSchedule } from "../../common/schedule-description";
import { clientErrorCode } from "../../server/client";
import { parameterSchemaOf, runPolicyOf } from "../../sdk/schema";
import { EntrypointError, loadFlow, parseEntrypoint } from "../../workers/node/entrypoints";
import { BundleError, bundleFlow, type FlowBundle } from "../bundle";
import { packDirectory } from "../pack-directory";
import { PROJECT_FILE } from "../project";
import { deployAll } from "./deploy-all";
import { kindOfEntrypoint } from "../../workers/kinds/registry";
import { apiContext, print, printJson, type ApiContext } from "../context";
import { CliError } from "../errors";
import { collect, parsePositiveInt } from "../options";
import { collectParameters } from "../params";
import { out } from "../output/style";

/** What the command line says besides the deployment's own options: its schedule and job variables, parsed. */
type DeployExtra = { schedules?: { cron?: string; intervalSeconds?: number; timezone?: string; seconds?: boolean }[]; jobVariables?: Record<string, unknown> };

interface DeployOptions {
  name?: string;
  pull?: string;
  pullDirectory?: string;
  dir?: string;
  all?: boolean;
  file?: string;
  prune?: boolean;
  dryRun?: boolean;
  pool?: string;
  queue?: string;
  cron?: string;
  cronSeconds?: boolean;
  interval?: number;
  timezone?: string;
  param?: string[];
  params?: string;
  tag?: string[];
  description?: string;
  version?: string;
  jobVariables?: string;
  flow?: string;
  json?: boolean;
  bundle: boolean;
}

export function deployCommand(): Command {
  return new Command("deploy")
    .description("Register a deployment of a TypeScript flow (file.ts:export) or a task kind (kind:<name>), or update it")
    .argument("[entrypoint]", "path/to/file.ts:exportedFlow, relative to this directory (the flow-code checkout), or kind:<name> (see baton kind ls)")
    .option("-n, --name <name>", "the deployment's name")
    .option("--all", `apply the project file (${PROJECT_FILE}): create, update or leave each deployment it lists`)
    .option("--file <path>", `the project file for --all (default ./${PROJECT_FILE})`)
    .option("--prune", "with --all: delete the project's deployments the file no longer lists")
    .option("--dry-run", "with --all: print the plan, change nothing")
    .option("-p, --pool <pool>", "the work pool that runs it")
    .option("-q, --queue <queue>", "the pool's queue (default: the pool's default queue)")
    .option("--cron <expr>", 'a cron schedule, e.g. "0 8 * * *"')
    .option("--cron-seconds", "the cron has six fields, the first one seconds (refused otherwise: \"0 8 * * * *\" would be hourly at :08)")
    .option("--interval <seconds>", "an interval schedule, in seconds", parsePositiveInt)
    .option("--timezone <tz>", "IANA timezone of the schedule (default UTC), e.g. Asia/Phnom_Penh")
    .option("--param <key=value>", "a default parameter (repeatable; JSON values are parsed)", collect)
    .option("--params <json>", "default parameters as a JSON object")
    .option("--tag <tag>", "a tag (repeatable)", collect)
    .option("--description <text>", "what it is for")
    .option("--version <version>", "a version label")
    .option("--flow <name>", "kind:, --pull and --dir deployments: the flow it belongs to (default: the kind's name, the directory's name; required with --pull)")
    .option("--pull <git-url[#ref]>", "workers fetch the code from this git repository (at ref: a branch, tag or commit; default HEAD) and run the entrypoint from there")
    .option("--pull-directory <path>", "with --pull: where in the repository the entrypoint's path starts")
    .option("--dir <path>", "a process pool's code: pack this directory (its script, modules, requirements, small data) as the deployment's code; the pool's command runs inside it on the worker")
    .option("--job-variables <json>", `overrides of the pool's job template, e.g. '{"env": {"LOG_LEVEL": "debug"}}' (keys: command, env, workingDir)`)
    .option("--no-bundle", "don't deliver the code: workers run the entrypoint from their own checkout (run them from the same place in it)")
    .option("--json", "print JSON")
    .action(async (entrypoint: string | undefined, opts: DeployOptions, command: Command) => {
      if (opts.all) {
        if (entrypoint || opts.name) throw new CliError(`--all deploys what ${opts.file ?? PROJECT_FILE} lists; give no entrypoint or --name with it`);
        return deployAll(opts, command);
      }
      if (opts.prune || opts.dryRun || opts.file) throw new CliError("--file, --prune and --dry-run go with --all");
      if (opts.dir && (entrypoint || opts.pull)) throw new CliError("--dir deploys a directory for a process pool's command: give no entrypoint or --pull with it");
      if (!entrypoint && !opts.dir) throw new CliError(`name what to deploy (file.ts:flow, kind:<name> or --dir <folder>), or --all for ${PROJECT_FILE}`);
      if (!opts.name) throw new CliError("give the deployment a name: -n, --name <name>");
      if (opts.cron && opts.interval) throw new CliError("Give --cron or --interval, not both");
      if (opts.timezone && !opts.cron && !opts.interval) throw new CliError("--timezone needs --cron or --interval");
      // Parsed before the flow is imported or the API called, so a typo changes nothing.
      const jobVariables = opts.jobVariables === undefined ? undefined : parseJobVariables(opts.jobVariables);
      const schedules = opts.cron
        ? [{ cron: opts.cron, timezone: opts.timezone, ...(opts.cronSeconds ? { seconds: true } : {}) }]
        : opts.interval
          ? [{ intervalSeconds: opts.interval, timezone: opts.timezone }]
          : undefined;
      if (opts.dir) return deployDirectory(opts.dir, { ...opts, name: opts.name }, command, { schedules, jobVariables });
      if (!entrypoint) throw new CliError("name what to deploy");
      const kind = kindOfEntrypoint(entrypoint);
      if (kind !== undefined) return deployKind(kind, { ...opts, name: opts.name }, command, { schedules, jobVariables });
      if (opts.pull) return deployPulled(entrypoint, { ...opts, name: opts.name, pull: opts.pull }, command, { schedules, jobVariables });
      if (opts.flow) throw new CliError("--flow is for kind: deployments and --pull; a flow file's deployment belongs to the flow it exports");
      const { file, exportName } = (() => {
        try {
          return parseEntrypoint(entrypoint);
        } catch (err) {
          throw new CliError((err as Error).message);
        }
      })();
      const { definition, code, base } = await flowFields(`${file}:${exportName}`, process.cwd(), opts.bundle);
      const { client } = apiContext(command);
      const fields = {
        ...base,
        ...optionFields(opts, { schedules, jobVariables }, { tags: definition.options.tags, description: definition.options.description }),
      };
      const { deployment, verb } = await createOrUpdate(client, definition.name, opts.name, fields);
      if (opts.json) return printJson(deployment);
      printDeployed(verb, deployment);
      if (deployment.workPoolName) {
        print(`Work it: baton worker start -p ${deployment.workPoolName}  ${code ? "(on any machine with Baton installed)" : "(from this checkout)"}`);
      }
    });
}

type Deployment = Awaited<ReturnType<ApiContext["client"]["deployments"]["create"]["mutate"]>>;

/**
 * What a flow file gives its deployment: the flow (imported to read its name, parameter schema
 * and run policy), and its code bundled with its local imports (one module the server keeps by
 * its hash: any worker of the pool runs exactly this version, without this checkout) unless
 * `bundle` is false. `entrypoint` is relative to `cwd`, and must lie inside it.
 */
export async function flowFields(entrypoint: string, cwd: string, bundle: boolean) {
  let parsed;
  try {
    parsed = parseEntrypoint(entrypoint);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { file, exportName } = parsed;
  const relative = path.relative(cwd, path.resolve(cwd, file)).split(path.sep).join("/");
  if (relative.startsWith("..")) throw new CliError(`${file} is outside ${cwd}; run baton deploy from the checkout that contains it`);
  const stored = `${relative}:${exportName}`;
  let definition;
  try {
    definition = await loadFlow(stored, cwd);
  } catch (err) {
    throw new CliError(err instanceof EntrypointError ? err.message : `could not load ${file}: ${(err as Error).message}`);
  }
  let code: FlowBundle | null = null;
  if (bundle) {
    try {
      code = await bundleFlow(relative, cwd);
    } catch (err) {
      throw new CliError(err instanceof BundleError ? err.message : `could not bundle ${file}: ${(err as Error).message}`);
    }
  }
  return {
    definition,
    code,
    base: {
      code: code ? { source: code.source, dependencies: code.dependencies, files: code.files } : null,
      entrypoint: stored,
      parameterSchema: parameterSchemaOf(definition),
      // Sent whole, so an update drops retries (or a timeout) the flow no longer declares.
      policy: runPolicyOf(definition),
    },
  };
}

/** `sha256:1f2e3d4c5b6a (3 files, 4.1 KB; imports zod@^4.1)`, or where workers find it instead. */
export function describeCode(d: Pick<Deployment, "codeVersion" | "code" | "entrypoint" | "pull">): string {
  if (d.entrypoint?.startsWith("kind:")) return "a built-in task kind";
  if (d.pull) return `pulled from ${d.pull.git} at ${d.pull.ref}${d.pull.directory ? ` (${d.pull.directory})` : ""} when each run starts`;
  if (!d.codeVersion || !d.code) return d.entrypoint ? "from each worker's checkout (deployed with --no-bundle)" : "none delivered: the pool's command runs in each worker's directory";
  const deps = Object.entries(d.code.dependencies).sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `${n}@${v}`);
  const size = d.code.sizeBytes < 10_240 ? `${(d.code.sizeBytes / 1024).toFixed(1)} KB` : `${Math.round(d.code.sizeBytes / 1024)} KB`;
  if (!d.entrypoint) return `${d.codeVersion.slice(0, 19)} (a directory of ${d.code.files.length} file${d.code.files.length === 1 ? "" : "s"}, ${size} packed; the pool's command runs inside it)`;
  return `${d.codeVersion.slice(0, 19)} (${d.code.files.length} file${d.code.files.length === 1 ? "" : "s"}, ${size}${deps.length ? `; imports ${deps.join(", ")}` : ""})`;
}

function printDeployed(verb: string, deployment: Deployment): void {
  const where = deployment.workPoolName ? ` → pool ${deployment.workPoolName}${deployment.workQueueName ? `/${deployment.workQueueName}` : ""}` : "";
  print(`${verb} deployment ${out.bold(`${deployment.flowName}/${deployment.name}`)}${deployment.entrypoint ? ` (${deployment.entrypoint})` : ""}${where}`);
  for (const s of deployment.schedules) print(`  schedule: ${describeSchedule(s)}`);
  print(`  code: ${describeCode(deployment)}`);
  print(`Run it: baton deployment run ${deployment.flowName}/${deployment.name}`);
}

/**
 * What a directory gives a process pool's deployment: its files packed (../pack-directory.ts)
 * as the deployment's code, so the pool's command runs inside exactly them on any worker.
 */
export function directoryFields(dir: string, cwd: string): { code: { source: string; dependencies: Record<string, string>; files: string[] }; version: string; entrypoint: null; pull: null } {
  let packed;
  try {
    packed = packDirectory(dir, cwd);
  } catch (err) {
    throw new CliError(err instanceof BundleError ? err.message : `could not pack ${dir}: ${(err as Error).message}`);
  }
  return { code: { source: packed.source, dependencies: {}, files: packed.files }, version: packed.version, entrypoint: null, pull: null };
}

/** A folder is the code of a process pool's command: refused for another kind of pool, naming it. */
export async function requireProcessPool(client: ApiContext["client"], workPool: string, what: string): Promise<void> {
  const pool = await client.workPools.get.query({ workPool });
  if (pool.type !== "process") throw new CliError(`${what} is the code of a process pool's command; pool ${pool.name} is a ${pool.type} pool (deploy a flow file to it instead)`);
}

/** The flow a directory's deployment belongs to when none is named: the directory's own name. */
export const flowOfDirectory = (dir: string, cwd: string) => path.basename(path.resolve(cwd, dir));

/**
 * `baton deploy --dir examples/train-pytorch -n docs -p gpu`: a process pool's deployment whose
 * code is the directory (a training script and its requirements, without git). The pool must be
 * a process pool: a node pool would have no command to run in it.
 */
async function deployDirectory(
  dir: string,
  opts: DeployOptions & { name: string },
  command: Command,
  extra: DeployExtra,
): Promise<void> {
  if (!opts.bundle) throw new CliError("--no-bundle is for flow files: --dir always delivers the folder");
  const { code, entrypoint, pull } = directoryFields(dir, process.cwd());
  const { client } = apiContext(command);
  if (opts.pool) await requireProcessPool(client, opts.pool, "--dir");
  const fields = {
    entrypoint,
    pull,
    code,
    ...optionFields(opts, extra),
  };
  const { deployment, verb } = await createOrUpdate(client, opts.flow ?? flowOfDirectory(dir, process.cwd()), opts.name, fields);
  if (opts.json) return printJson(deployment);
  printDeployed(verb, deployment);
  if (deployment.workPoolName) print(`Work it: baton worker start -p ${deployment.workPoolName}  (on any machine with Baton installed; the pool's command runs inside the directory)`);
}

/**
 * A deployment whose code workers pull from git (`--pull URL#ref`): nothing is imported or
 * bundled here — the flow is in the repository, not necessarily on this machine — so its flow
 * name is given with --flow, and its parameters are checked when runs start.
 */
async function deployPulled(
  entrypoint: string,
  opts: DeployOptions & { name: string; pull: string },
  command: Command,
  extra: DeployExtra,
): Promise<void> {
  if (!opts.flow) throw new CliError("--pull needs --flow <name>: the flow is in the repository, so its name is not read from a file here");
  const hash = opts.pull.lastIndexOf("#");
  const pull = { git: hash > 0 ? opts.pull.slice(0, hash) : opts.pull, ref: hash > 0 ? opts.pull.slice(hash + 1) : "HEAD", ...(opts.pullDirectory ? { directory: opts.pullDirectory } : {}) };
  try {
    parseEntrypoint(entrypoint);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { client } = apiContext(command);
  const fields = {
    entrypoint,
    pull,
    code: null,
    ...optionFields(opts, extra),
  };
  const { deployment, verb } = await createOrUpdate(client, opts.flow, opts.name, fields);
  if (opts.json) return printJson(deployment);
  printDeployed(verb, deployment);
  if (deployment.workPoolName) print(`Work it: baton worker start -p ${deployment.workPoolName}  (on any machine with Baton and git)`);
}

/** Creates the deployment, or updates it when the flow already has one of that name. */
async function createOrUpdate(client: ApiContext["client"], flow: string, name: string, fields: Omit<Parameters<ApiContext["client"]["deployments"]["create"]["mutate"]>[0], "flow" | "name">) {
  try {
    return { deployment: await client.deployments.create.mutate({ flow, name, ...fields }), verb: "Created" };
  } catch (err) {
    if (clientErrorCode(err) !== "CONFLICT") throw err;
    return { deployment: await client.deployments.update.mutate({ deployment: `${flow}/${name}`, ...fields }), verb: "Updated" };
  }
}

/** A deployment of a built-in kind: the server checks the kind and gives it the kind's parameter schema. */
async function deployKind(
  kind: string,
  opts: DeployOptions & { name: string },
  command: Command,
  extra: DeployExtra,
): Promise<void> {
  if (!kind) throw new CliError("kind: needs a kind's name, e.g. kind:cluster (see baton kind ls)");
  const { client } = apiContext(command);
  const flow = opts.flow ?? kind;
  const fields = {
    entrypoint: `kind:${kind}`,
    ...optionFields(opts, extra),
  };
  const { deployment, verb } = await createOrUpdate(client, flow, opts.name, fields);
  if (opts.json) return printJson(deployment);
  printDeployed(verb, deployment);
  const required = Array.isArray(deployment.parameterSchema?.required) ? (deployment.parameterSchema.required as string[]) : [];
  const missing = required.filter((p) => !(p in deployment.parameters));
  if (missing.length) print(out.dim(`  each run gives ${missing.join(", ")} (baton deployment run ${deployment.flowName}/${deployment.name} -p ${missing[0]}=…; see baton kind inspect ${kind})`));
  if (deployment.workPoolName) print(`Work it: baton worker start -p ${deployment.workPoolName}`);
}

/**
 * What every kind of deployment takes from the command line alike: parameters, pool, queue,
 * tags, description, version, schedules and job variables (absent: an update keeps what the
 * deployment has; the server checks the keys).
 */
function optionFields(
  opts: DeployOptions,
  extra: DeployExtra,
  defaults: { tags?: string[]; description?: string } = {},
) {
  return {
    parameters: collectParameters(opts),
    workPool: opts.pool,
    workQueue: opts.queue,
    tags: opts.tag ?? defaults.tags,
    description: opts.description ?? defaults.description,
    version: opts.version,
    schedules: extra.schedules,
    jobVariables: extra.jobVariables as { command?: string[]; env?: Record<string, string>; workingDir?: string } | undefined,
  };
}

function parseJobVariables(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--job-variables is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(`--job-variables must be a JSON object, such as '{"env": {"LOG_LEVEL": "debug"}}'`);
  }
  return value as Record<string, unknown>;
}
