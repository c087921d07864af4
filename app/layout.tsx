/**
 * The shell around every page: the Baton name, a left navigation and who is signed in, then the
 * page. With auth on, a signed-out visitor sees no navigation and is sent to sign in (but for the
 * sign-in, setup and invitation pages themselves).
 */
import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { AccountPanel } from "./_components/account-panel";
import { NavLink } from "./_components/nav-link";
import { TrpcReactProvider } from "./_components/trpc-provider";
import { getViewer, requireSignedIn } from "./_lib/viewer";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Baton", template: "%s · Baton" },
  description: "Baton: flows, deployments, work pools and runs",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  await requireSignedIn(viewer);
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <div className="shell">
          <aside className="sidebar">
            <Link href="/" className="brand" aria-label="Baton home">
              <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                <rect width="32" height="32" rx="7" className="brand-mark-bg" />
                <rect x="5" y="14.5" width="20" height="3.2" rx="1.6" transform="rotate(-35 15 16)" />
                <circle cx="23.5" cy="8.8" r="2.8" />
              </svg>
              <span>Baton</span>
            </Link>
            {viewer.signedIn ? (
              <nav aria-label="Main">
                <ul>
                  <li>
                    <NavLink href="/">Dashboard</NavLink>
                  </li>
                  <li>
                    <NavLink href="/runs">Flow runs</NavLink>
                  </li>
                  <li>
                    <NavLink href="/flows">Flows</NavLink>
                  </li>
                  <li>
                    <NavLink href="/deployments">Deployments</NavLink>
                  </li>
                  <li>
                    <NavLink href="/work-pools">Work pools</NavLink>
                  </li>
                  <li>
                    <NavLink href="/kinds">Task kinds</NavLink>
                  </li>
                  <li>
                    <NavLink href="/notebooks">Notebooks</NavLink>
                  </li>
                  <li>
                    <NavLink href="/workbench">Workbench</NavLink>
                  </li>
                  <li>
                    <NavLink href="/settings">Settings</NavLink>
                  </li>
                </ul>
              </nav>
            ) : null}
            <AccountPanel
              authEnabled={viewer.authEnabled}
              user={viewer.user}
              role={viewer.role}
              workspace={viewer.workspace}
              workspaces={viewer.workspaces}
            />
          </aside>
          <main id="main" className="content">
            <TrpcReactProvider>{children}</TrpcReactProvider>
          </main>
        </div>
      </body>
    </html>
  );
}
