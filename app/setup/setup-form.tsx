"use client";
/** The first owner's name, email and password, signed up with the setup token; then signed in. */
import { useState } from "react";
import { SETUP_TOKEN_HEADER, authClient, authErrorMessage } from "@/app/_lib/auth-client";

export function SetupForm({ token }: { token: string }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    setPending(true);
    setError(undefined);
    try {
      const { error: failed } = await authClient().signUp.email({
        name: String(data.get("name")),
        email: String(data.get("email")),
        password: String(data.get("password")),
        fetchOptions: { headers: { [SETUP_TOKEN_HEADER]: token } },
      });
      if (failed) {
        setError(authErrorMessage(failed));
        setPending(false);
        return;
      }
      window.location.assign("/runs");
    } catch (err) {
      setError((err as Error).message);
      setPending(false);
    }
  }

  return (
    <form
      className="form"
      aria-label="First owner"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <label className="field">
        <span className="field-label">Name</span>
        <input type="text" name="name" autoComplete="name" required maxLength={200} />
      </label>
      <label className="field">
        <span className="field-label">Email</span>
        <input type="email" name="email" autoComplete="username" required />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" name="password" autoComplete="new-password" required minLength={10} />
        <span className="field-hint">At least 10 characters.</span>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? "Creating…" : "Create owner account"}
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
