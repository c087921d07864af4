"use client";
/**
 * What the invited person does: sign up (name and password; the email is the invitation's) and
 * join, or accept while signed in. Either way the browser then shows the workspace they joined.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { AuthForm, EmailField, NameField, PasswordField } from "@/app/_components/auth-form";
import { useTRPC } from "@/app/_components/trpc-provider";
import { authClient, signOutAndLeave, throwIfFailed } from "@/app/_lib/auth-client";
import { setWorkspaceCookie } from "@/app/_lib/workspace-cookie";

function enter(workspaceSlug: string) {
  setWorkspaceCookie(workspaceSlug);
  window.location.assign("/runs");
}

export function AcceptInvitation({ id, workspaceSlug }: { id: string; workspaceSlug: string }) {
  const trpc = useTRPC();
  const accept = useMutation(trpc.invitations.accept.mutationOptions({ onSuccess: (joined) => enter(joined.workspaceSlug ?? workspaceSlug) }));
  return (
    <div className="form-actions">
      <button type="button" className="button button-primary" disabled={accept.isPending || accept.isSuccess} onClick={() => accept.mutate({ id })}>
        {accept.isPending || accept.isSuccess ? "Joining…" : "Accept invitation"}
      </button>
      {accept.isError ? (
        <span className="feedback-error" role="alert">
          {accept.error.message}
        </span>
      ) : null}
    </div>
  );
}

export function InvitedSignUp({ id, email, workspaceSlug }: { id: string; email: string; workspaceSlug: string }) {
  const trpc = useTRPC();
  const accept = useMutation(trpc.invitations.accept.mutationOptions());
  return (
    <AuthForm
      label="Create your account"
      submit="Create account and join"
      pendingSubmit="Joining…"
      onSubmit={async (data) => {
        throwIfFailed(await authClient().signUp.email({ name: String(data.get("name")), email, password: String(data.get("password")) }));
        // Signed in now (the session cookie came with the answer): join.
        const joined = await accept.mutateAsync({ id });
        enter(joined.workspaceSlug ?? workspaceSlug);
      }}
      aside={
        <span className="muted">
          Have an account with this email? <Link href={`/sign-in?next=${encodeURIComponent(`/invite/${id}`)}`}>Sign in</Link> to accept.
        </span>
      }
    >
      <EmailField fixed={email} />
      <NameField />
      <PasswordField fresh />
    </AuthForm>
  );
}

export function SignOutToSwitch({ id }: { id: string }) {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      className="button"
      disabled={pending}
      onClick={() => {
        setPending(true);
        void signOutAndLeave(`/invite/${id}`);
      }}
    >
      Sign out
    </button>
  );
}
