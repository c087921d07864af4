"use client";
/**
 * The foot of the sidebar: who is signed in and their role in the workspace the pages show, a
 * workspace switcher (it sets the `baton-workspace` cookie and reloads), and Sign out. With auth
 * off, one quiet line says so.
 */
import { useAuthRequest } from "@/app/_components/auth-form";
import { signOutAndLeave } from "@/app/_lib/auth-client";
import { setWorkspaceCookie } from "@/app/_lib/workspace-cookie";

export interface AccountPanelProps {
  authEnabled: boolean;
  user: { name: string; email: string } | null;
  role: string | null;
  workspace: string;
  workspaces: { slug: string; name: string; role: string }[];
}

export function AccountPanel({ authEnabled, user, role, workspace, workspaces }: AccountPanelProps) {
  const { pending: leaving, error, run } = useAuthRequest();
  const known = workspaces.some((w) => w.slug === workspace);

  const switcher =
    workspaces.length > 1 || (!known && workspaces.length > 0) ? (
      <label className="account-workspace">
        <span className="account-label">Workspace</span>
        <select
          value={known ? workspace : ""}
          onChange={(e) => {
            setWorkspaceCookie(e.target.value);
            window.location.reload();
          }}
          data-testid="workspace-switcher"
        >
          {known ? null : (
            <option value="" disabled>
              Choose a workspace
            </option>
          )}
          {workspaces.map((w) => (
            <option key={w.slug} value={w.slug}>
              {w.name}
              {authEnabled ? ` (${w.role})` : ""}
            </option>
          ))}
        </select>
      </label>
    ) : null;

  if (!authEnabled) {
    return (
      <section className="account" aria-label="Account" data-testid="account">
        {switcher}
        <p className="account-local" title="BATON_AUTH=off: one local user, on this machine only; no sign-in">
          Local (auth off)
        </p>
      </section>
    );
  }
  if (!user) return null;
  return (
    <section className="account" aria-label="Account" data-testid="account">
      {switcher}
      <div className="account-user">
        <span className="account-name" data-testid="account-name">
          {user.name}
        </span>
        <span className="account-email">{user.email}</span>
        <span className="account-role" data-testid="account-role">
          {role ? `${role} of ${workspaces.find((w) => w.slug === workspace)?.name ?? workspace}` : `not a member of ${workspace}`}
        </span>
      </div>
      <button type="button" className="button button-small" disabled={leaving} onClick={() => void run(() => signOutAndLeave())}>
        {leaving ? "Signing out…" : "Sign out"}
      </button>
      {error ? (
        <p className="feedback-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
