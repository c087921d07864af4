/**
 * First run (auth on, no account yet): the link the server printed, `/setup?token=…`, makes the
 * first account, the owner of the `default` workspace. Once anyone has signed up it only says so.
 */
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getViewer } from "@/app/_lib/viewer";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up" };

export default async function SetupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const token = (await searchParams).token;
  const viewer = await getViewer();
  if (!viewer.authEnabled) redirect("/runs");
  if (!viewer.needsSetup) {
    return (
      <section className="panel auth-card" aria-labelledby="setup-title">
        <h1 id="setup-title">Baton is set up</h1>
        <p>This server has its first owner already; more people join through invitations.</p>
        <Link href={viewer.user ? "/runs" : "/sign-in"} className="button button-primary">
          {viewer.user ? "Go to flow runs" : "Sign in"}
        </Link>
      </section>
    );
  }
  return (
    <section className="panel auth-card" aria-labelledby="setup-title">
      <h1 id="setup-title">Set up Baton</h1>
      <p>Make the first account: it owns the default workspace and can invite everyone else.</p>
      {typeof token === "string" && token ? (
        <SetupForm token={token} />
      ) : (
        <div className="notice notice-warn" role="note">
          This page needs the setup link the server printed in its log at start (<code>/setup?token=…</code>): open
          that link, token included.
        </div>
      )}
    </section>
  );
}
