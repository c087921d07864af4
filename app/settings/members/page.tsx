/**
 * The people of this workspace. Everyone sees who is in it; owners change roles and who may
 * define what workers execute, remove members, invite (the link is shown to pass on: Baton sends
 * no email) and cancel open invitations.
 */
import type { Metadata } from "next";
import { LocalTime } from "@/app/_components/local-time";
import { CopyButton } from "@/app/_components/copy-button";
import { requestBaseUrl } from "@/app/_lib/base-url";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { AuthOff } from "../auth-off";
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
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <p className="muted">
          Viewers read; editors also run, cancel and change flows, deployments and pools; owners also manage people and keys.
          Defining what workers execute (job variables, base job templates, code entrypoints) is for owners and the members
          they allow.
        </p>
        <div className="table-wrap">
          <table aria-label="Members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">May define what workers execute</th>
                <th scope="col">Joined</th>
                {owner ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
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
              })}
            </tbody>
          </table>
        </div>
      </section>

      {owner ? (
        <>
          <section aria-labelledby="invite-title">
            <h2 id="invite-title">Invite someone</h2>
            <p className="muted">
              Baton sends no email: you get a link to pass on. It is valid for 7 days and only for that email address.
            </p>
            <InviteForm baseUrl={baseUrl} />
          </section>

          <section aria-labelledby="invitations-title">
            <h2 id="invitations-title">Pending invitations</h2>
            {invitations.length === 0 ? (
              <p className="muted" data-testid="no-invitations">
                No open invitations.
              </p>
            ) : (
              <div className="table-wrap">
                <table aria-label="Pending invitations">
                  <thead>
                    <tr>
                      <th scope="col">Email</th>
                      <th scope="col">Role</th>
                      <th scope="col">Link</th>
                      <th scope="col">Expires</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {invitations.map((inv) => {
                      const link = `${baseUrl}/invite/${inv.id}`;
                      return (
                        <tr key={inv.id} data-testid="invitation-row" data-email={inv.email}>
                          <td className="cell-main">{inv.email}</td>
                          <td>{inv.role ?? "viewer"}</td>
                          <td>
                            <div className="secret-box">
                              <code data-testid="pending-invitation-link">{link}</code>
                              <CopyButton text={link} label="Copy link" />
                            </div>
                          </td>
                          <td>
                            <LocalTime iso={inv.expiresAt} relative />
                          </td>
                          <td>
                            <CancelInvitation id={inv.id} email={inv.email} />
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      ) : null}
    </>
  );
}
