"use client";
/**
 * Making an API key (name, role, pools for a worker key, expiry) and showing it the one time
 * the server hands it out; revoking one, after asking.
 */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmAction } from "@/app/_components/confirm-action";
import { CopyBox } from "@/app/_components/copy-button";
import { useTRPC } from "@/app/_components/trpc-provider";

type KeyRole = "owner" | "editor" | "viewer" | "worker";

const EXPIRY_DAYS = [
  { value: "", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
];

export function CreateApiKey({ pools, canMakeOwner }: { pools: string[]; canMakeOwner: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [role, setRole] = useState<KeyRole>("worker");
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: (made) => {
        setShown({ name: made.name, key: made.key });
        router.refresh();
      },
    }),
  );
  const roles: KeyRole[] = canMakeOwner ? ["worker", "viewer", "editor", "owner"] : ["worker", "viewer", "editor"];

  return (
    <div className="panel">
      <form
        className="form"
        aria-label="New API key"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          const days = String(data.get("expires") ?? "");
          const workPools = role === "worker" ? data.getAll("pool").map(String) : undefined;
          setShown(null);
          create.mutate(
            {
              name: String(data.get("name")).trim(),
              role,
              workPools: workPools?.length ? workPools : undefined,
              mayDefineExecution: role === "owner" && data.get("mayDefineExecution") === "on" ? true : undefined,
              expiresAt: days ? new Date(Date.now() + Number(days) * 86_400_000).toISOString() : undefined,
            },
            { onSuccess: () => form.reset() },
          );
        }}
      >
        <div className="inline-form">
          <label className="field">
            <span className="field-label">Name</span>
            <input type="text" name="name" required maxLength={200} placeholder="gpu-box-1" />
          </label>
          <label className="field">
            <span className="field-label">Role</span>
            <select name="role" value={role} onChange={(e) => setRole(e.target.value as KeyRole)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Expires</span>
            <select name="expires" defaultValue="">
              {EXPIRY_DAYS.map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        {role === "worker" ? (
          <fieldset className="field" style={{ border: 0, padding: 0, margin: 0 }}>
            <legend className="field-label">Work pools</legend>
            {pools.length ? (
              <div className="checkbox-list">
                {pools.map((p) => (
                  <label key={p}>
                    <input type="checkbox" name="pool" value={p} /> {p}
                  </label>
                ))}
              </div>
            ) : null}
            <span className="field-hint">
              {pools.length ? "None ticked: every pool of the workspace." : "No pools yet: the key works for every pool."}
            </span>
          </fieldset>
        ) : null}
        {role === "owner" ? (
          <label className="toggle">
            <input type="checkbox" name="mayDefineExecution" /> May define what workers execute (job variables, job templates,
            code entrypoints)
          </label>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create key"}
          </button>
        </div>
        {create.isError ? (
          <p className="feedback-error" role="alert">
            {create.error.message}
          </p>
        ) : null}
      </form>
      {shown ? (
        <div className="notice notice-warn" role="status" data-testid="new-api-key-box" style={{ marginTop: 14 }}>
          <p>
            <strong>Copy the key for {shown.name} now: it will not be shown again.</strong> Only its hash is stored.
          </p>
          <CopyBox text={shown.key} testId="new-api-key" />
          <button type="button" className="button button-small" onClick={() => setShown(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function RevokeApiKey({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmAction verb="Revoke" pendingVerb="Revoking…" name={name} mutation={revoke} variables={{ id }}>
      {revoke.isError ? (
        <span className="run-feedback feedback-error" role="alert">
          {revoke.error.message}
        </span>
      ) : null}
    </ConfirmAction>
  );
}
