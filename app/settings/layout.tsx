/** Settings of the workspace the pages show: its members and invitations, its API keys. */
import type { ReactNode } from "react";
import { NavLink } from "@/app/_components/nav-link";
import { getViewer } from "@/app/_lib/viewer";

export default async function SettingsLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  const current = viewer.workspaces.find((w) => w.slug === viewer.workspace);
  return (
    <>
      <header className="page-header">
        <div>
          <h1>Settings</h1>
          <p>
            Workspace <strong>{current?.name ?? viewer.workspace}</strong>
            {viewer.authEnabled && viewer.role ? <> · you are {viewer.role}</> : null}
          </p>
        </div>
      </header>
      <nav aria-label="Settings" className="subnav">
        <NavLink href="/settings/members">Members</NavLink>
        <NavLink href="/settings/api-keys">API keys</NavLink>
      </nav>
      {children}
    </>
  );
}
