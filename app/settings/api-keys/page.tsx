/**
 * API keys of this workspace, for workers, the CLI, the SDK and scripts: made here (the key is
 * shown once), listed by prefix with their role, pools, who made them, last use, expiry and
 * revocation, and revoked. Editors and owners; a key is never stronger than the one who made it,
 * and editors revoke only the keys they made (owners any).
 */
import type { Metadata } from "next";
import { EmptyState } from "@/app/_components/empty-state";
import { LocalTime } from "@/app/_components/local-time";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { AuthOff } from "../auth-off";
import { SettingsSection, SettingsTable } from "../settings-frame";
import { CreateApiKey, RevokeApiKey } from "./api-key-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage() {
  const viewer = await getViewer();
  if (!viewer.authEnabled) return <AuthOff what="API keys" />;
  if (!viewer.canEdit) {
    return (
      <EmptyState title="API keys are for editors and owners" testId="api-keys-not-allowed">
        <p>
          You are {viewer.role ? `a ${viewer.role}` : "not a member"} of this workspace. Keys let workers and scripts act for
          the workspace; ask an owner if you need one.
        </p>
      </EmptyState>
    );
  }
  const api = await serverCaller();
  const [keys, pools] = await Promise.all([api.apiKeys.list(), api.workPools.list()]);
  const poolName = new Map(pools.map((p) => [p.id, p.name]));
  const now = Date.now();
  const mine = (createdBy: string | null) => createdBy !== null && createdBy === viewer.user?.id;

  return (
    <>
      <SettingsSection
        id="new-key"
        title="New API key"
        intro={
          <>
            Send it as <code>authorization: Bearer &lt;key&gt;</code>, or set <code>BATON_API_KEY</code> for the CLI, the SDK and{" "}
            <code>baton worker start</code>. A <strong>worker</strong> key only speaks the worker protocol, for the pools you pick.
          </>
        }
      >
        <CreateApiKey pools={pools.map((p) => p.name)} canMakeOwner={viewer.isOwner} />
      </SettingsSection>

      <SettingsSection id="keys" title="Keys">
        <SettingsTable
          label="API keys"
          columns={["Name", "Key", "Role", "Pools", "Made by", "Created", "Last used", "Expires", "Status"]}
          items={keys}
          empty={{ testId: "no-api-keys", text: "No API keys yet." }}
          row={(k) => {
            const expired = k.expiresAt !== null && Date.parse(k.expiresAt) <= now;
            return (
              <tr key={k.id} data-testid="api-key-row" data-name={k.name}>
                <td className="cell-main">{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>
                  {k.role}
                  {k.mayDefineExecution ? <div className="cell-sub">may define what workers execute</div> : null}
                </td>
                <td>
                  {k.role !== "worker" ? (
                    <span className="muted">—</span>
                  ) : k.workPoolIds.length === 0 ? (
                    <span className="muted">every pool</span>
                  ) : (
                    <span className="tags">
                      {k.workPoolIds.map((id) => (
                        <span key={id} className="tag">
                          {poolName.get(id) ?? id}
                        </span>
                      ))}
                    </span>
                  )}
                </td>
                <td data-testid="api-key-made-by">
                  {k.createdByEmail ? (
                    <>
                      {k.createdByEmail}
                      {mine(k.createdBy) ? <span className="muted"> (you)</span> : null}
                    </>
                  ) : (
                    <span className="muted" title="Made with an API key, or by an account that no longer exists">
                      —
                    </span>
                  )}
                </td>
                <td>
                  <LocalTime iso={k.createdAt} />
                </td>
                <td>{k.lastUsedAt ? <LocalTime iso={k.lastUsedAt} relative /> : <span className="muted">never</span>}</td>
                <td>{k.expiresAt ? <LocalTime iso={k.expiresAt} /> : <span className="muted">never</span>}</td>
                <td data-testid="api-key-status">
                  {k.revokedAt ? (
                    <span className="badge badge-failed" title={`Revoked ${k.revokedAt}`}>
                      Revoked
                    </span>
                  ) : expired ? (
                    <span className="badge badge-cancelled">Expired</span>
                  ) : (
                    <span className="badge badge-completed">Active</span>
                  )}
                  {k.revokedAt ? (
                    <div className="cell-sub">
                      <LocalTime iso={k.revokedAt} />
                    </div>
                  ) : null}
                </td>
                <td>{k.revokedAt || !(viewer.isOwner || mine(k.createdBy)) ? null : <RevokeApiKey id={k.id} name={k.name} />}</td>
              </tr>
            );
          }}
        />
      </SettingsSection>
    </>
  );
}
