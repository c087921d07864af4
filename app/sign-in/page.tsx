/**
 * Sign in with email and password (auth on). Afterwards: the page that sent the visitor here
 * (`?next=`), else the run list. A fresh server with no account says where its setup link is.
 */
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeNext } from "@/app/_lib/paths";
import { getViewer } from "@/app/_lib/viewer";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  const viewer = await getViewer();
  // Auth off: there is nobody to sign in as. Signed in already: on to where they were going.
  if (!viewer.authEnabled || viewer.user) redirect(next);
  return (
    <section className="panel auth-card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to Baton</h1>
      {viewer.needsSetup ? (
        <div className="notice notice-warn" role="note" data-testid="needs-setup">
          <p>
            <strong>This server has no accounts yet.</strong> The first owner is made through the setup link the
            server prints in its log when it starts: look for <code>/setup?token=…</code> in the output of{" "}
            <code>baton server start</code> and open that link here.
          </p>
        </div>
      ) : (
        <p>Accounts are made by invitation: a workspace owner sends you a link.</p>
      )}
      <SignInForm next={next} />
    </section>
  );
}
