/**
 * Nobody reads, writes or runs what is not theirs. Every procedure of the router, enumerated at
 * run time (a new one is covered without editing this file), is called by each kind of outsider
 * with inputs that name this workspace's real ids; each call must be refused, and nothing of the
 * workspace may change. Inputs are built from each procedure's own input schema.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../../server/api/root";
import { DEFAULT_WORKSPACE_ID } from "../../drizzle/schema";
import { useAuthApi, trpcCode, type Caller } from "../helpers/auth";

type Proc = { _def: { type: "query" | "mutation" | "subscription"; inputs: z.ZodType[] } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Proc>);

/** Public by design: they describe the server or an invitation whose id is its secret. */
const PUBLIC = new Set(["auth.status", "invitations.describe"]);
/** Not about one workspace: a caller lists its own workspaces, makes one, or accepts an invitation. */
const ACCOUNT_LEVEL = new Set(["workspaces.list", "workspaces.get", "workspaces.create", "invitations.accept"]);

interface Ids {
  runId: string;
  leaseToken: string;
  taskRunId: string;
  workerId: string;
  resultId: string;
  artifactId: string;
  keyId: string;
  invitationId: string;
  ownerUserId: string;
}

/** A value for each field, by name first (the workspace's real ids), then by schema type. */
function sample(schema: Record<string, unknown>, key: string, path: string, ids: Ids, depth = 0): unknown {
  const router = path.split(".")[0];
  const byName: Record<string, unknown> = {
    flowRunId: ids.runId,
    runId: ids.runId,
    parentFlowRunId: ids.runId,
    taskRunId: ids.taskRunId,
    workerId: ids.workerId,
    resultId: ids.resultId,
    userId: ids.ownerUserId,
    leaseToken: ids.leaseToken,
    flowRunLeaseToken: ids.leaseToken,
    workPool: "pool-a",
    workQueue: "default",
    deployment: "flow-a/dep-a",
    flow: "flow-a",
    workspace: "default",
    tag: "gpu",
    cacheKey: "ck",
    email: "someone@example.com",
    upstreamTaskRunIds: [ids.taskRunId],
    workPools: ["pool-a"],
  };
  if (key === "id") {
    const byRouter: Record<string, string> = {
      flowRuns: ids.runId,
      taskRuns: ids.taskRunId,
      artifacts: ids.artifactId,
      results: ids.resultId,
      workers: ids.workerId,
      apiKeys: ids.keyId,
      invitations: ids.invitationId,
    };
    return byRouter[router!] ?? ids.runId;
  }
  if (key in byName) return byName[key];
  if (depth > 6) return undefined;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Record<string, unknown>[] | undefined;
  if (anyOf) return sample(anyOf.find((s) => s.type !== "null") ?? anyOf[0]!, key, path, ids, depth + 1);
  if (schema.enum) return (schema.enum as unknown[])[0];
  if ("const" in schema) return schema.const;
  switch (schema.type) {
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(props)) {
        const value = sample(sub, name, path, ids, depth + 1);
        if (value !== undefined) out[name] = value;
      }
      if (key === "state") return { type: "CANCELLED" };
      return out;
    }
    case "array": {
      // Past the depth limit an item is left out: an empty list, not a list of nothing.
      const item = sample((schema.items ?? {}) as Record<string, unknown>, key, path, ids, depth + 1);
      return item === undefined ? [] : [item];
    }
    case "string":
      if (schema.format === "uuid") return ids.runId;
      if (schema.format === "date-time") return new Date(Date.now() + 3_600_000).toISOString();
      if (schema.format === "email") return "someone@example.com";
      return `iso-${key || "x"}`;
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? Math.max(schema.minimum, 1) : 1;
    case "boolean":
      return false;
    default:
      // Any JSON goes (z.unknown()): a string will do.
      return Object.keys(schema).length === 0 ? `iso-${key || "x"}` : undefined;
  }
}

function inputFor(path: string, proc: Proc, ids: Ids): unknown {
  const [first] = proc._def.inputs;
  if (!first) return undefined;
  const json = z.toJSONSchema(first, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return sample(json, "", path, ids);
}

/**
 * A subscription as a browser opens it (GET, text/event-stream): refused before the stream
 * starts (a JSON error), or inside it (a `serialized-error` event); a stream that stays open
 * for a second without either is accepted.
 */
async function subscribe(fetchApi: (url: string, init?: RequestInit) => Promise<Response>, caller: Caller, path: string, input: unknown): Promise<{ ok: boolean; code: string; text: string }> {
  const abort = new AbortController();
  const res = await fetchApi(`http://baton.test/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
    headers: { ...caller.headers, accept: "text/event-stream" },
    signal: abort.signal,
  });
  const timer = setTimeout(() => abort.abort(), 1_000);
  let text = "";
  try {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      if (/event: serialized-error/.test(text) && text.endsWith("\n\n")) break;
    }
  } catch {
    /* kept open until the timer: accepted */
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
  return { ok: !code, code: code ?? "OK", text };
}

async function call(caller: Caller, path: string, proc: Proc, input: unknown, fetchApi?: (url: string, init?: RequestInit) => Promise<Response>): Promise<{ ok: boolean; code: string }> {
  if (proc._def.type === "subscription") return subscribe(fetchApi!, caller, path, input);
  const [router, name] = path.split(".") as [string, string];
  const target = (caller.client as unknown as Record<string, Record<string, Record<string, (i: unknown) => Promise<unknown>>>>)[router]![name]!;
  try {
    await (proc._def.type === "query" ? target.query!(input) : target.mutate!(input));
    return { ok: true, code: "OK" };
  } catch (err) {
    return { ok: false, code: trpcCode(err) };
  }
}

describe("isolation: every procedure, every outsider", () => {
  const api = useAuthApi();
  let ids: Ids;
  let owner: Caller;
  let outsider: Caller; // a member of another workspace only
  let viewer: Caller;
  let revoked: Caller;
  let otherPoolWorker: Caller;

  /** Every row of the workspace (and every account row), as one fingerprint per table. */
  async function fingerprint(): Promise<Record<string, string>> {
    const { rows } = (await api.db.execute(
      `select table_name, string_agg(column_name, ',') as cols from information_schema.columns
       where table_schema = 'public' group by table_name order by table_name`,
    )) as unknown as { rows: { table_name: string; cols: string }[] };
    const out: Record<string, string> = {};
    for (const { table_name: table, cols } of rows) {
      if (table === "sessions" || table === "verifications") continue; // signing in writes these
      const columns = cols.split(",");
      const where = columns.includes("workspace_id")
        ? `where workspace_id = '${DEFAULT_WORKSPACE_ID}'`
        : columns.includes("organization_id")
          ? `where organization_id = '${DEFAULT_WORKSPACE_ID}'`
          : table === "workspaces"
            ? `where id = '${DEFAULT_WORKSPACE_ID}'`
            : "";
      // Using a key records when it was last used; that is not a change of the workspace.
      const row = table === "api_keys" ? "(t.id, t.name, t.role, t.revoked_at, t.expires_at, t.work_pool_ids)::text" : "t::text";
      const { rows: r } = (await api.db.execute(
        `select count(*)::int as n, md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as h from "${table}" t ${where}`,
      )) as unknown as { rows: { n: number; h: string }[] };
      out[table] = `${r[0]!.n}:${r[0]!.h}`;
    }
    return out;
  }

  beforeAll(async () => {
    const signedUp = await api.signUpFirstOwner();
    owner = signedUp;
    const c = owner.client;
    const poolA = await c.workPools.create.mutate({ name: "pool-a", type: "process", baseJobTemplate: { command: ["sh", "-c", "true"] } });
    await c.workPools.create.mutate({ name: "pool-b", type: "node" });
    await c.flows.create.mutate({ name: "flow-a" });
    await c.deployments.create.mutate({ flow: "flow-a", name: "dep-a", workPool: "pool-a", jobVariables: { env: { SECRET: "s3cret" } } });
    await c.concurrencyLimits.create.mutate({ tag: "gpu", limit: 1 });
    await c.deployments.run.mutate({ deployment: "flow-a/dep-a" });
    const reg = await c.workers.register.mutate({ workPool: "pool-a", name: "wa" });
    const [claimed] = await c.workers.claim.mutate({ workerId: reg.workerId, max: 1, start: true });
    const task = await c.taskRuns.create.mutate({ flowRunId: claimed!.id, taskKey: "t" });
    const result = await c.results.create.mutate({ value: { secret: 1 } });
    await c.taskRuns.setState.mutate({ id: task.id, state: { type: "RUNNING" }, flowRunLeaseToken: claimed!.leaseToken });
    await c.taskRuns.setState.mutate({ id: task.id, state: { type: "COMPLETED" }, flowRunLeaseToken: claimed!.leaseToken, resultId: result.id });
    await c.logs.create.mutate({ logs: [{ flowRunId: claimed!.id, level: 20, message: "hello", leaseToken: claimed!.leaseToken }] });
    const artifact = await c.artifacts.create.mutate({ flowRunId: claimed!.id, type: "markdown", data: "# secret" });
    const ownerKey = await c.apiKeys.create.mutate({ name: "to-revoke", role: "owner" });
    await c.apiKeys.revoke.mutate({ id: ownerKey.id });
    const workerKey = await c.apiKeys.create.mutate({ name: "pool-b-worker", role: "worker", workPools: ["pool-b"] });
    const invitation = await c.invitations.create.mutate({ email: "vic@example.com", role: "viewer" });
    const members = await c.members.list.query();
    ids = {
      runId: claimed!.id,
      leaseToken: claimed!.leaseToken,
      taskRunId: task.id,
      workerId: reg.workerId,
      resultId: result.id,
      artifactId: artifact.id,
      keyId: workerKey.id,
      invitationId: invitation.id,
      ownerUserId: members[0]!.userId,
    };
    viewer = await api.signUpInvited(invitation.id, "vic@example.com");
    // A member of another workspace: invited there, never here.
    await c.workspaces.create.mutate({ slug: "other", name: "Other" });
    const toOther = await api.as({ ...owner.headers, "x-baton-workspace": "other" }).client.invitations.create.mutate({ email: "otto@example.com", role: "owner" });
    outsider = await api.signUpInvited(toOther.id, "otto@example.com");
    await api.as({ ...owner.headers, "x-baton-workspace": "other" }).client.members.remove.mutate({ userId: members[0]!.userId }).catch(() => {});
    revoked = api.as({ authorization: `Bearer ${ownerKey.key}` });
    otherPoolWorker = api.as({ authorization: `Bearer ${workerKey.key}` });
    void poolA;
  });

  it(`refuses all ${procedures.length} procedures to each outsider and changes nothing`, async () => {
    const before = await fingerprint();
    const outsiders: [string, () => Caller, (path: string, type: string) => boolean][] = [
      ["anonymous", () => api.anonymous(), (p) => !PUBLIC.has(p)],
      ["a member of another workspace, naming this one", () => api.as({ ...outsider.headers, "x-baton-workspace": "default" }), (p) => !PUBLIC.has(p) && !ACCOUNT_LEVEL.has(p)],
      ["a viewer (mutations)", () => viewer, (p, type) => type === "mutation" && !PUBLIC.has(p) && !ACCOUNT_LEVEL.has(p)],
      ["a revoked key", () => revoked, (p) => !PUBLIC.has(p)],
      ["a worker key for another pool", () => otherPoolWorker, (p) => !PUBLIC.has(p) && !ACCOUNT_LEVEL.has(p)],
    ];
    const accepted: string[] = [];
    let calls = 0;
    const covered = new Set<string>();
    for (const [who, make, applies] of outsiders) {
      const caller = make();
      for (const [path, proc] of procedures) {
        if (!applies(path, proc._def.type)) continue;
        covered.add(path);
        calls++;
        const { ok, code } = await call(caller, path, proc, inputFor(path, proc, ids), api.fetch);
        const refused = !ok && ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"].includes(code);
        if (!refused) accepted.push(`${who}: ${path} → ${code}`);
      }
    }
    // The member of another workspace, in its own workspace, with this workspace's ids: nothing
    // of this workspace is found, read or changed (what it does in its own is its business).
    const own = api.as({ ...outsider.headers, "x-baton-workspace": "other" });
    const leaks: string[] = [];
    for (const [path, proc] of procedures) {
      if (PUBLIC.has(path) || ACCOUNT_LEVEL.has(path)) continue;
      const input = inputFor(path, proc, ids);
      if (proc._def.type === "subscription") {
        calls++;
        const { text } = await subscribe(api.fetch, own, path, input);
        for (const id of Object.values(ids)) if (text.includes(id) && !text.includes("was not found")) leaks.push(`${path} streamed ${id}`);
        continue;
      }
      const [router, name] = path.split(".") as [string, string];
      const target = (own.client as unknown as Record<string, Record<string, Record<string, (i: unknown) => Promise<unknown>>>>)[router]![name]!;
      calls++;
      try {
        const out = await (proc._def.type === "query" ? target.query!(input) : target.mutate!(input));
        const text = JSON.stringify(out ?? null);
        for (const id of Object.values(ids)) if (text.includes(id)) leaks.push(`${path} returned ${id}`);
        if (text.includes("s3cret") || text.includes("# secret")) leaks.push(`${path} returned a secret`);
      } catch {
        /* refused or not found: fine */
      }
    }
    console.log(`isolation: ${procedures.length} procedures in the router, ${covered.size} covered, ${calls} calls`);
    expect(accepted).toEqual([]);
    expect(leaks).toEqual([]);
    expect(await fingerprint()).toEqual(before);
    // Every procedure but the public ones was tried by someone.
    expect(covered.size + PUBLIC.size).toBe(Object.keys(appRouter._def.procedures).length);
  });

  it("better-auth's own endpoints do not bypass the procedures: organization and account-changing paths are off", async () => {
    const { DISABLED_AUTH_PATHS } = await import("../../server/auth/better-auth");
    const before = await fingerprint();
    for (const caller of [viewer, outsider]) {
      for (const p of DISABLED_AUTH_PATHS) {
        const body = JSON.stringify({ organizationId: DEFAULT_WORKSPACE_ID, memberId: ids.ownerUserId, role: "owner", email: "x@example.com", name: "x", slug: "x" });
        const res = await api.fetch(`http://baton.test/api/auth${p}`, { method: "POST", headers: { ...caller.headers, "content-type": "application/json", origin: "http://baton.test" }, body });
        expect(res.status, `${p}: ${await res.text()}`).toBe(404);
      }
    }
    expect(await fingerprint()).toEqual(before);
  });

  it("the public procedures give an anonymous caller nothing of the workspace", async () => {
    const status = await api.anonymous().client.auth.status.query();
    expect(status.me).toBeNull();
    expect(JSON.stringify(status)).not.toContain(DEFAULT_WORKSPACE_ID);
  });
});
