/**
 * An invitation link, `/invite/<id>`: which workspace, for which address, with which role. The
 * invited person signs up here (their email fixed to the invitation's) and joins, or, already
 * signed in with that address, accepts.
 */
import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { LocalTime } from "@/app/_components/local-time";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { AcceptInvitation, InvitedSignUp, SignOutToSwitch } from "./invite-actions";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Invitation" };

type Params = Promise<{ id: string }>;

export default async function InvitePage({ params }: { params: Params }) {
  const { id } = await params;
  const viewer = await getViewer();
  if (!viewer.authEnabled) redirect("/runs");
  const api = await serverCaller();
  const invitation = await api.invitations.describe({ id }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) return null;
    throw err;
  });

  if (!invitation) {
    return (
      <section className="panel auth-card" aria-labelledby="invite-title">
        <h1 id="invite-title">No such invitation</h1>
        <p>This link does not name an invitation of this server. Check it, or ask the workspace owner for a new one.</p>
      </section>
    );
  }

  const sameEmail = viewer.user?.email.toLowerCase() === invitation.email.toLowerCase();
  const role = invitation.role ?? "viewer";
  return (
    <section className="panel auth-card" aria-labelledby="invite-title">
      <h1 id="invite-title">Join {invitation.workspaceName}</h1>
      <dl className="details" data-testid="invitation">
        <div>
          <dt>Workspace</dt>
          <dd data-testid="invitation-workspace">{invitation.workspaceName}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd data-testid="invitation-email">{invitation.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd data-testid="invitation-role">{role}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>
            <LocalTime iso={invitation.expiresAt} relative />
          </dd>
        </div>
      </dl>
      <div style={{ marginTop: 18 }}>
        {!invitation.open ? (
          <div className="notice notice-warn" role="note">
            This invitation is no longer open (accepted, cancelled or expired): ask the owner of {invitation.workspaceName} for
            a new one.
            {viewer.user ? (
              <p>
                <Link href="/runs">Go to flow runs</Link>
              </p>
            ) : null}
          </div>
        ) : viewer.user && sameEmail ? (
          <AcceptInvitation id={invitation.id} workspaceSlug={invitation.workspaceSlug} />
        ) : viewer.user ? (
          <div className="notice notice-warn" role="note">
            <p>
              You are signed in as <strong>{viewer.user.email}</strong>; this invitation is for <strong>{invitation.email}</strong>.
              Sign out, then open this link again.
            </p>
            <SignOutToSwitch id={invitation.id} />
          </div>
        ) : (
          <InvitedSignUp id={invitation.id} email={invitation.email} workspaceSlug={invitation.workspaceSlug} />
        )}
      </div>
    </section>
  );
}
