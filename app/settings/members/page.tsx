/**
 * The people of this workspace. Everyone sees who is in it; owners change roles and who may
 * define what workers execute, remove members, invite (the link is shown to pass on: Baton sends
 * no email) and cancel open invitations.
 */
import type { Metadata } from "next";
import { LocalTime } from "@/app/_components/local-time";
import { CopyBox } from "@/app/_components/copy-button";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { AuthOff } from "../auth-off";
import { SettingsSection, SettingsTable } from "../settings-frame";
import { CancelInvitation, ExecutionToggle, InviteForm, RemoveMember, RoleSelect } from "./member-controls";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Members" };

export default async function MembersPage() {
  const viewer = await getViewer();
  if (!viewer.authEnabled) return <AuthOff what="members" />;
  const api = await serverCaller();
  const [members, invitations, baseUrl] = await Promise.all([
    api.members.list(),
    viewer.isOwner ? api.invitations.list() : Promise.resolve([]),
    requestBaseUrl(),
  ]);
  const owner = viewer.isOwner;

  return (
    <>
      <SettingsSection
        id="members"
        title="Members"
        intro={
          <>
            Viewers read; editors also run, cancel and change flows, deployments and pools; owners also manage people and keys.
            Defining what workers execute (job variables, base job templates, code entrypoints) is for owners and the members
            they allow.
          </>
        }
      >
        <SettingsTable
          label="Members"
          columns={["Member", "Role", "May define what workers execute", "Joined"]}
          actions={owner}
          items={members}
          row={(m) => {
            const me = m.userId === viewer.user?.id;
            return (
              <tr key={m.userId} data-testid="member-row" data-email={m.email}>
                <td>
                  <div className="cell-main">
                    {m.name}
                    {me ? <span className="muted"> (you)</span> : null}
                  </div>
                  <div className="cell-sub">{m.email}</div>
                </td>
                <td>{owner ? <RoleSelect userId={m.userId} name={m.name} role={m.role} /> : m.role}</td>
                <td>
                  {m.role === "owner" ? (
                    <span className="muted">yes (owner)</span>
                  ) : owner ? (
                    <ExecutionToggle userId={m.userId} name={m.name} value={m.mayDefineExecution} />
                  ) : m.mayDefineExecution ? (
                    "yes"
                  ) : (
                    <span className="muted">no</span>
                  )}
                </td>
                <td>
                  <LocalTime iso={m.createdAt} />
                </td>
                {owner ? <td>{me ? null : <RemoveMember userId={m.userId} name={m.name} />}</td> : null}
              </tr>
            );
          }}
        />
      </SettingsSection>

      {owner ? (
        <>
          <SettingsSection
            id="invite"
            title="Invite someone"
            intro="Baton sends no email: you get a link to pass on. It is valid for 7 days and only for that email address."
          >
            <InviteForm baseUrl={baseUrl} />
          </SettingsSection>

          <SettingsSection id="invitations" title="Pending invitations">
            <SettingsTable
              label="Pending invitations"
              columns={["Email", "Role", "Link", "Expires"]}
              items={invitations}
              empty={{ testId: "no-invitations", text: "No open invitations." }}
              row={(inv) => {
                const link = `${baseUrl}/invite/${inv.id}`;
                return (
                  <tr key={inv.id} data-testid="invitation-row" data-email={inv.email}>
                    <td className="cell-main">{inv.email}</td>
                    <td>{inv.role ?? "viewer"}</td>
                    <td>
                      <CopyBox text={link} testId="pending-invitation-link" label="Copy link" />
                    </td>
                    <td>
                      <LocalTime iso={inv.expiresAt} relative />
                    </td>
                    <td>
                      <CancelInvitation id={inv.id} email={inv.email} />
                    </td>
                  </tr>
                );
              }}
            />
          </SettingsSection>
        </>
      ) : null}
    </>
  );
}
