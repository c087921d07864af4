"use client";
/** Email and password to better-auth; its own error message on failure, a full load on success. */
import { useState } from "react";
import { authClient, authErrorMessage } from "@/app/_lib/auth-client";

export function SignInForm({ next }: { next: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    setPending(true);
    setError(undefined);
    try {
      const { error: failed } = await authClient().signIn.email({ email: String(data.get("email")), password: String(data.get("password")) });
      if (failed) {
        setError(authErrorMessage(failed));
        setPending(false);
        return;
      }
      // A full load, so the shell renders signed in.
      window.location.assign(next);
    } catch (err) {
      setError((err as Error).message);
      setPending(false);
    }
  }

  return (
    <form
      className="form"
      aria-label="Sign in"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <label className="field">
        <span className="field-label">Email</span>
        <input type="email" name="email" autoComplete="username" required />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" name="password" autoComplete="current-password" required />
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </div>
      {error ? (
        <p className="feedback-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
