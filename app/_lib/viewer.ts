/**
 * Who is looking at this page, in one place: auth on or off, the signed-in user, the workspace
 * the page shows (the `baton-workspace` cookie the switcher sets, else `default`) and their role
 * in it. The shell, the pages and their controls all ask this; viewers get no mutating controls.
 *
 * Memoised per request (React `cache`), so the layout and the page share one lookup.
 */
import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { serverCaller } from "@/server/api/server-caller";
import { PATH_HEADER, isPublicPath, signInUrl } from "./paths";
import { WORKSPACE_COOKIE } from "./workspace-cookie";

export type ViewerRole = "owner" | "editor" | "viewer";

export interface ViewerWorkspace {
  slug: string;
  name: string;
  role: string;
}

export interface Viewer {
  authEnabled: boolean;
  /** Auth on and no account yet: the first owner is made through the setup link. */
  needsSetup: boolean;
  /** The signed-in person; null with auth off (the local user) or when signed out. */
  user: { id: string; name: string; email: string } | null;
  /** Signed in, or auth off: someone the API answers. */
  signedIn: boolean;
  /** The workspace the pages show. */
  workspace: string;
  workspaces: ViewerWorkspace[];
  /** The role in that workspace; null when not a member of it (or signed out). */
  role: ViewerRole | null;
  /** Editors and owners: run, cancel, retry, create. */
  canEdit: boolean;
  /** Owners: people and keys. */
  isOwner: boolean;
}

function asRole(role: string | undefined): ViewerRole | null {
  return role === "owner" || role === "editor" || role === "viewer" ? role : null;
}

export const getViewer = cache(async (): Promise<Viewer> => {
  // The request first: at build time this bails out of static rendering before any database opens.
  const workspace = (await cookies()).get(WORKSPACE_COOKIE)?.value || "default";
  const api = await serverCaller();
  const status = await api.auth.status();
  const signedIn = !status.enabled || status.me?.kind === "user";
  const workspaces = signedIn
    ? (await api.workspaces.list()).map((w) => ({ slug: w.slug, name: w.name, role: w.role }))
    : [];
  const role = status.enabled ? asRole(workspaces.find((w) => w.slug === workspace)?.role) : "owner";
  return {
    authEnabled: status.enabled,
    needsSetup: status.needsSetup,
    user: status.me?.kind === "user" ? { id: status.me.userId, name: status.me.name, email: status.me.email } : null,
    signedIn,
    workspace,
    workspaces,
    role,
    canEdit: role === "owner" || role === "editor",
    isOwner: role === "owner",
  };
});

/**
 * With auth on, a signed-out visitor of any page but the public ones goes to sign in, and comes
 * back here after. proxy.ts does this early when there is no session cookie at all; this catches
 * a cookie whose session has ended.
 */
export async function requireSignedIn(viewer: Viewer): Promise<void> {
  if (viewer.signedIn) return;
  const path = (await headers()).get(PATH_HEADER);
  if (!path || isPublicPath(path.split("?")[0]!)) return;
  redirect(signInUrl(path));
}
