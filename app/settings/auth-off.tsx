/** What the members and API-key pages say with auth off: there is one local user, and how to change that. */
import { EmptyState, Snippet } from "@/app/_components/empty-state";

export function AuthOff({ what }: { what: "members" | "API keys" }) {
  return (
    <EmptyState title="Auth is off on this server" testId="auth-off">
      <p>
        With <code>BATON_AUTH=off</code> (the default) Baton has a single local user, listens on loopback only and asks
        nobody to sign in, so there are no {what} to manage: everything on this machine may use the API.
      </p>
      <p>
        To share Baton with other people, start it with auth on and a secret. On a fresh database the server then prints a
        setup link (<code>/setup?token=…</code>) for the first owner, who invites the others from this page and makes API keys
        for workers and scripts.
      </p>
      <Snippet label="Start with sign-in, members and API keys (keep the secret: sessions and the setup link derive from it)">{`openssl rand -base64 32 > ~/.baton-secret
BATON_AUTH=on BATON_AUTH_SECRET="$(cat ~/.baton-secret)" baton server start`}</Snippet>
    </EmptyState>
  );
}
