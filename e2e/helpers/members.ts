/**
 * Members for the e2e tests with auth on: sign up (the first with the setup token, as the owner),
 * sign in, and a typed API client that calls as that member (their session cookie), all through
 * Baton's own HTTP endpoints.
 */
import { createBatonClient, type BatonClient } from "../../server/client";
import { SETUP_TOKEN_HEADER, setupToken } from "../../server/auth/better-auth";
import type { BatonProcess } from "./baton-process";

function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.includes("session_token="));
  if (!cookie) throw new Error("no session cookie");
  return cookie;
}

/** Signs up; returns the session cookie (`name=value`). */
export async function signUp(baton: BatonProcess, body: { name: string; email: string; password: string }, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${baton.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baton.url, ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sign-up failed: HTTP ${res.status} ${await res.text()}`);
  return sessionCookie(res);
}

/** Signs in; returns a new session cookie. */
export async function signIn(baton: BatonProcess, email: string, password: string): Promise<string> {
  const res = await fetch(`${baton.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baton.url },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`sign-in failed: HTTP ${res.status} ${await res.text()}`);
  return sessionCookie(res);
}

export const memberClient = (baton: BatonProcess, cookie: string): BatonClient => createBatonClient({ apiUrl: baton.apiUrl, headers: { cookie, origin: baton.url }, batch: false });

/**
 * The owner Olive (signed up first, with the setup token made from `secret`) and one member she
 * invited with `role`, signed up and accepted. Passwords are "<name in lower case>'s long password".
 */
export async function ownerAndMember(
  baton: BatonProcess,
  secret: string,
  member: { name: string; email: string; role: "viewer" | "editor" | "owner" },
): Promise<{ owner: BatonClient; memberCookie: string }> {
  const owner = memberClient(baton, await signUp(baton, { name: "Olive", email: "olive@example.com", password: "olive's long password" }, { [SETUP_TOKEN_HEADER]: setupToken(secret) }));
  const invitation = await owner.invitations.create.mutate({ email: member.email, role: member.role });
  const memberCookie = await signUp(baton, { name: member.name, email: member.email, password: `${member.name.toLowerCase()}'s long password` });
  await memberClient(baton, memberCookie).invitations.accept.mutate({ id: invitation.id });
  return { owner, memberCookie };
}
