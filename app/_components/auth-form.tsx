"use client";
/**
 * What the sign-in, setup and invitation forms share. `useAuthRequest` runs a better-auth call
 * (and what follows it) with a pending flag and the message to show when it fails; `AuthForm`
 * is the form around it: the fields, a submit button that says it is working, the error below.
 * On success the form stays pending: the request moves the browser on (a full load).
 */
import { useState, type ReactNode } from "react";

export function useAuthRequest() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();

  /** Runs `request`; if it throws, its message is shown and the form can be sent again. */
  async function run(request: () => Promise<void>): Promise<void> {
    setPending(true);
    setError(undefined);
    try {
      await request();
    } catch (err) {
      setError((err as Error).message);
      setPending(false);
    }
  }

  return { pending, error, run };
}

export function AuthForm({
  label,
  submit,
  pendingSubmit,
  onSubmit,
  aside,
  children,
}: {
  /** The form's accessible name. */
  label: string;
  /** The submit button's text, and its text while the request runs. */
  submit: string;
  pendingSubmit: string;
  /** What submitting does, with the form's fields; a throw's message is shown under the form. */
  onSubmit: (data: FormData) => Promise<void>;
  /** Beside the submit button. */
  aside?: ReactNode;
  children: ReactNode;
}) {
  const { pending, error, run } = useAuthRequest();
  return (
    <form
      className="form"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        void run(() => onSubmit(data));
      }}
    >
      {children}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? pendingSubmit : submit}
        </button>
        {aside}
      </div>
      {error ? (
        <p className="feedback-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint ? <span className="field-hint">{hint}</span> : null}
    </label>
  );
}

/** A person's name (`name`). */
export function NameField() {
  return (
    <Field label="Name">
      <input type="text" name="name" autoComplete="name" required maxLength={200} />
    </Field>
  );
}

/** The email to sign in or up with (`email`); `fixed`: shown, not editable (an invitation's). */
export function EmailField({ fixed }: { fixed?: string }) {
  return (
    <Field label="Email">
      {fixed === undefined ? <input type="email" name="email" autoComplete="username" required /> : <input type="email" name="email" value={fixed} readOnly />}
    </Field>
  );
}

/** The password (`password`): the current one to sign in, or a new one (10 characters at least) to sign up. */
export function PasswordField({ fresh = false }: { fresh?: boolean }) {
  return fresh ? (
    <Field label="Password" hint="At least 10 characters.">
      <input type="password" name="password" autoComplete="new-password" required minLength={10} />
    </Field>
  ) : (
    <Field label="Password">
      <input type="password" name="password" autoComplete="current-password" required />
    </Field>
  );
}
