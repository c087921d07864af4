"use client";
/** Email and password to better-auth; its own error message on failure, a full load on success. */
import { AuthForm, EmailField, PasswordField } from "@/app/_components/auth-form";
import { authClient, throwIfFailed } from "@/app/_lib/auth-client";

export function SignInForm({ next }: { next: string }) {
  return (
    <AuthForm
      label="Sign in"
      submit="Sign in"
      pendingSubmit="Signing in…"
      onSubmit={async (data) => {
        throwIfFailed(await authClient().signIn.email({ email: String(data.get("email")), password: String(data.get("password")) }));
        // A full load, so the shell renders signed in.
        window.location.assign(next);
      }}
    >
      <EmailField />
      <PasswordField />
    </AuthForm>
  );
}
