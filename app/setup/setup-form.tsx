"use client";
/** The first owner's name, email and password, signed up with the setup token; then signed in. */
import { AuthForm, EmailField, NameField, PasswordField } from "@/app/_components/auth-form";
import { SETUP_TOKEN_HEADER, authClient, throwIfFailed } from "@/app/_lib/auth-client";

export function SetupForm({ token }: { token: string }) {
  return (
    <AuthForm
      label="First owner"
      submit="Create owner account"
      pendingSubmit="Creating…"
      onSubmit={async (data) => {
        throwIfFailed(
          await authClient().signUp.email({
            name: String(data.get("name")),
            email: String(data.get("email")),
            password: String(data.get("password")),
            fetchOptions: { headers: { [SETUP_TOKEN_HEADER]: token } },
          }),
        );
        window.location.assign("/runs");
      }}
    >
      <NameField />
      <EmailField />
      <PasswordField fresh />
    </AuthForm>
  );
}
