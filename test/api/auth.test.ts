import { describe, expect, it } from "vitest";
import { expectTrpcError } from "../helpers/api";
import { useAuthApi } from "../helpers/auth";

describe("auth on", () => {
  const api = useAuthApi();

  it("first owner with the setup token only; sign-up otherwise by invitation; roles decide what a member may do", async () => {
    const status0 = await api.anonymous().client.auth.status.query();
    expect(status0).toMatchObject({ enabled: true, needsSetup: true, me: null });

    // Without the setup token nobody can claim a fresh server.
    const stranger = await api.authPost("/sign-up/email", { name: "Eve", email: "eve@example.com", password: "eve's long password" });
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toMatch(/setup token/);

    const owner = await api.signUpFirstOwner();
    expect(await owner.client.auth.status.query()).toMatchObject({ enabled: true, needsSetup: false, me: { kind: "user", email: "owner@example.com" } });
    expect((await owner.client.workspaces.list.query()).map((w) => [w.slug, w.role])).toEqual([["default", "owner"]]);

    // Now sign-up is closed except for invited addresses.
    const again = await api.authPost("/sign-up/email", { name: "Eve", email: "eve@example.com", password: "eve's long password" });
    expect(again.status).toBe(403);
    expect(await again.text()).toMatch(/by invitation/);

    const invitation = await owner.client.invitations.create.mutate({ email: "vera@example.com", role: "viewer" });
    expect(await api.anonymous().client.invitations.describe.query({ id: invitation.id })).toMatchObject({ email: "vera@example.com", role: "viewer", open: true, workspaceSlug: "default" });
    const viewer = await api.signUpInvited(invitation.id, "vera@example.com");
    expect((await viewer.client.workspaces.list.query()).map((w) => [w.slug, w.role])).toEqual([["default", "viewer"]]);

    // Viewers read, and change nothing.
    await owner.client.flows.create.mutate({ name: "etl" });
    expect((await viewer.client.flows.list.query()).items.map((f) => f.name)).toEqual(["etl"]);
    await expectTrpcError(viewer.client.flows.create.mutate({ name: "mine" }), "FORBIDDEN", /editor role/);
    await expectTrpcError(viewer.client.apiKeys.create.mutate({ name: "k", role: "viewer" }), "FORBIDDEN");

    // The owner makes them an editor; the change takes effect at once.
    const members = await owner.client.members.list.query();
    const vera = members.find((m) => m.email === "vera@example.com")!;
    await owner.client.members.update.mutate({ userId: vera.userId, role: "editor" });
    expect((await viewer.client.flows.create.mutate({ name: "mine" })).name).toBe("mine");
    // Editors may not define what workers execute, unless an owner allows them.
    await owner.client.workPools.create.mutate({ name: "proc", type: "process" });
    await expectTrpcError(
      viewer.client.workPools.update.mutate({ workPool: "proc", baseJobTemplate: { command: ["sh", "-c", "id"] } }),
      "FORBIDDEN",
      /defines what workers execute/,
    );
    // Nor send a deployment's code an owner approved to the machines of another pool.
    await owner.client.workPools.create.mutate({ name: "gpu-a", type: "node" });
    await owner.client.workPools.create.mutate({ name: "gpu-b", type: "node" });
    await owner.client.deployments.create.mutate({ flow: "etl", name: "nightly", workPool: "gpu-a", entrypoint: "flows/etl.ts:etl", jobVariables: { env: { MODE: "prod" } } });
    await expectTrpcError(viewer.client.deployments.update.mutate({ deployment: "etl/nightly", workPool: "gpu-b" }), "FORBIDDEN", /workPool defines what workers execute/);
    expect((await owner.client.deployments.get.query({ deployment: "etl/nightly" })).workPoolName).toBe("gpu-a");
    // Its other fields, and the pool of a deployment that runs only built-in kinds, are theirs to change.
    await viewer.client.deployments.update.mutate({ deployment: "etl/nightly", workPool: "gpu-a", description: "every night" });
    await owner.client.deployments.create.mutate({ flow: "etl", name: "embed", workPool: "gpu-a", entrypoint: "kind:encode" });
    expect((await viewer.client.deployments.update.mutate({ deployment: "etl/embed", workPool: "gpu-b" })).workPoolName).toBe("gpu-b");
    await owner.client.members.update.mutate({ userId: vera.userId, mayDefineExecution: true });
    await viewer.client.workPools.update.mutate({ workPool: "proc", baseJobTemplate: { command: ["python3", "train.py"] } });
    expect((await viewer.client.deployments.update.mutate({ deployment: "etl/nightly", workPool: "gpu-b" })).workPoolName).toBe("gpu-b");

    // The last owner stays an owner.
    const me = members.find((m) => m.email === "owner@example.com")!;
    await expectTrpcError(owner.client.members.update.mutate({ userId: me.userId, role: "viewer" }), "PRECONDITION_FAILED", /needs an owner/);

    // Sign-in with the wrong password fails; with the right one it works.
    expect((await api.signIn("owner@example.com", "wrong password!!")).res.status).toBe(401);
    expect((await api.signIn("owner@example.com", "correct horse battery")).cookie).toBeTruthy();
  });

  it("API keys: shown once, stored hashed, revoked at once, expiring, workspace-bound, last use recorded", async () => {
    const owner = await api.signUpFirstOwner("keys@example.com").catch(async () => {
      // The first test made the owner already; sign in instead.
      const { cookie } = await api.signIn("owner@example.com", "correct horse battery");
      return api.as({ cookie: cookie! });
    });
    const created = await owner.client.apiKeys.create.mutate({ name: "ci", role: "editor" });
    expect(created.key).toMatch(/^baton_[A-Za-z0-9_-]{40,}$/);
    const listed = await owner.client.apiKeys.list.query();
    expect(JSON.stringify(listed)).not.toContain(created.key);
    const stored = await api.db.execute(`select hash from api_keys where id = '${created.id}'`);
    expect(JSON.stringify(stored)).not.toContain(created.key);

    const ci = api.as({ authorization: `Bearer ${created.key}` });
    expect((await ci.client.flows.create.mutate({ name: "from-ci" })).name).toBe("from-ci");
    expect((await owner.client.apiKeys.list.query()).find((k) => k.id === created.id)!.lastUsedAt).not.toBeNull();
    await expectTrpcError(api.as({ authorization: `Bearer ${created.key}`, "x-baton-workspace": "elsewhere" }).client.flows.list.query(), "FORBIDDEN", /belongs to workspace "default"/);

    await owner.client.apiKeys.revoke.mutate({ id: created.id });
    await expectTrpcError(ci.client.flows.list.query(), "UNAUTHORIZED", /revoked/);
    await expectTrpcError(api.as({ authorization: "Bearer baton_not-a-real-key-0123456789abcdef" }).client.flows.list.query(), "UNAUTHORIZED", /not known/);
    await expectTrpcError(api.anonymous().client.flows.list.query(), "UNAUTHORIZED", /sign in/);

    const soon = await owner.client.apiKeys.create.mutate({ name: "soon", role: "viewer", expiresAt: new Date(Date.now() + 1500).toISOString() });
    const viewerKey = api.as({ authorization: `Bearer ${soon.key}` });
    await viewerKey.client.flows.list.query();
    await new Promise((r) => setTimeout(r, 1600));
    await expectTrpcError(viewerKey.client.flows.list.query(), "UNAUTHORIZED", /expired/);
  });

  it("API keys say who made them; editors revoke only their own, owners any", async () => {
    const { cookie } = await api.signIn("owner@example.com", "correct horse battery");
    const owner = api.as({ cookie: cookie! });
    const invitation = await owner.client.invitations.create.mutate({ email: "ed@example.com", role: "editor" });
    const editor = await api.signUpInvited(invitation.id, "ed@example.com");
    const members = await owner.client.members.list.query();
    const ownerId = members.find((m) => m.email === "owner@example.com")!.userId;
    const editorId = members.find((m) => m.email === "ed@example.com")!.userId;

    const ownersKey = await owner.client.apiKeys.create.mutate({ name: "owners-ci", role: "editor" });
    const editorsKey = await editor.client.apiKeys.create.mutate({ name: "eds-worker", role: "worker" });
    const editorsOther = await editor.client.apiKeys.create.mutate({ name: "eds-other", role: "viewer" });
    expect(ownersKey.createdBy).toBe(ownerId);
    // A key made with a key has no person behind it.
    const byKey = await api.as({ authorization: `Bearer ${ownersKey.key}` }).client.apiKeys.create.mutate({ name: "made-by-key", role: "viewer" });
    expect(byKey.createdBy).toBeNull();

    const listed = await editor.client.apiKeys.list.query();
    const byName = new Map(listed.map((k) => [k.name, k]));
    expect(byName.get("owners-ci")).toMatchObject({ createdBy: ownerId, createdByEmail: "owner@example.com" });
    expect(byName.get("eds-worker")).toMatchObject({ createdBy: editorId, createdByEmail: "ed@example.com" });
    expect(byName.get("made-by-key")).toMatchObject({ createdBy: null, createdByEmail: null });
    // Exactly the declared fields: no hash, no workspace id.
    expect(Object.keys(byName.get("owners-ci")!).sort()).toEqual(
      ["createdAt", "createdBy", "createdByEmail", "expiresAt", "id", "lastUsedAt", "mayDefineExecution", "name", "prefix", "revokedAt", "role", "workPoolIds"].sort(),
    );

    // The editor may not revoke the owner's key, nor one made with a key; the owner's key still works.
    await expectTrpcError(editor.client.apiKeys.revoke.mutate({ id: ownersKey.id }), "FORBIDDEN", /only owners revoke keys someone else made/);
    await expectTrpcError(editor.client.apiKeys.revoke.mutate({ id: byKey.id }), "FORBIDDEN");
    expect((await owner.client.apiKeys.list.query()).find((k) => k.id === ownersKey.id)!.revokedAt).toBeNull();
    await api.as({ authorization: `Bearer ${ownersKey.key}` }).client.flows.list.query();
    // Their own they may.
    const revoked = await editor.client.apiKeys.revoke.mutate({ id: editorsKey.id });
    expect(revoked).toMatchObject({ id: editorsKey.id, createdBy: editorId });
    expect(revoked.revokedAt).not.toBeNull();
    await expectTrpcError(api.as({ authorization: `Bearer ${editorsKey.key}` }).client.flows.list.query(), "UNAUTHORIZED", /revoked/);
    // The owner revokes anyone's.
    await owner.client.apiKeys.revoke.mutate({ id: editorsOther.id });
    await owner.client.apiKeys.revoke.mutate({ id: byKey.id });
    const after = new Map((await owner.client.apiKeys.list.query()).map((k) => [k.name, k.revokedAt]));
    expect(after.get("eds-other")).not.toBeNull();
    expect(after.get("made-by-key")).not.toBeNull();
    expect(after.get("owners-ci")).toBeNull();
  });

  it("limits requests a second per API key, with a clear TOO_MANY_REQUESTS", async () => {
    const { cookie } = await api.signIn("owner@example.com", "correct horse battery");
    const { key } = await api.as({ cookie: cookie! }).client.apiKeys.create.mutate({ name: "busy", role: "viewer" });
    api.settings.ratePerSecond = 5;
    try {
      const busy = api.as({ authorization: `Bearer ${key}` });
      const outcomes = await Promise.all(Array.from({ length: 40 }, () => busy.client.flows.list.query().then(() => "ok", (e: unknown) => (e as Error).message)));
      const refused = outcomes.filter((o) => o !== "ok");
      expect(refused.length).toBeGreaterThan(20);
      expect(refused[0]).toMatch(/more than 5 requests a second from this API key/);
      // Another key is not held back by this one.
      const { key: other } = await api.as({ cookie: cookie! }).client.apiKeys.create.mutate({ name: "calm", role: "viewer" });
      await api.as({ authorization: `Bearer ${other}` }).client.flows.list.query();
    } finally {
      api.settings.ratePerSecond = undefined;
    }
  });
});
