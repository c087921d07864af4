"use client";
/**
 * What the invited person does: sign up (name and password; the email is the invitation's) and
 * join, or accept while signed in. Either way the browser then shows the workspace they joined.
 */
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/app/_components/trpc-provider";
import { authClient, authErrorMessage, signOutAndLeave } from "@/app/_lib/auth-client";
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
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    setPending(true);
    setError(undefined);
    try {
      const { error: failed } = await authClient().signUp.email({ name: String(data.get("name")), email, password: String(data.get("password")) });
      if (failed) throw new Error(authErrorMessage(failed));
      // Signed in now (the session cookie came with the answer): join.
      const joined = await accept.mutateAsync({ id });
      enter(joined.workspaceSlug ?? workspaceSlug);
    } catch (err) {
      setError((err as Error).message);
      setPending(false);
    }
  }

  return (
    <form
      className="form"
      aria-label="Create your account"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <label className="field">
        <span className="field-label">Email</span>
        <input type="email" name="email" value={email} readOnly />
      </label>
      <label className="field">
        <span className="field-label">Name</span>
        <input type="text" name="name" autoComplete="name" required maxLength={200} />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" name="password" autoComplete="new-password" required minLength={10} />
        <span className="field-hint">At least 10 characters.</span>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? "Joining…" : "Create account and join"}
        </button>
        <span className="muted">
          Have an account with this email? <Link href={`/sign-in?next=${encodeURIComponent(`/invite/${id}`)}`}>Sign in</Link> to accept.
        </span>
      </div>
      {error ? (
        <p className="feedback-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
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
