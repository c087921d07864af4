/** A new deployment, made in the browser (editors and owners). */
import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/app/_components/empty-state";
import { getViewer } from "@/app/_lib/viewer";
import { serverCaller } from "@/server/api/server-caller";
import { poolChoices } from "../[id]/load";
import { DeploymentForm } from "../deployment-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "New deployment" };

export default async function NewDeploymentPage() {
  const [api, viewer] = await Promise.all([serverCaller(), getViewer()]);
  return (
    <>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/deployments">Deployments</Link>
          </div>
          <h1>New deployment</h1>
          <p>A flow with a place to run, default parameters and schedules.</p>
        </div>
      </header>
      {viewer.canEdit ? (
        <DeploymentForm pools={await poolChoices(api)} />
      ) : (
        <EmptyState title="Creating deployments is for editors and owners" testId="deployment-new-not-allowed">
          <p>You are {viewer.role ? `a ${viewer.role}` : "not a member"} of this workspace: ask an owner for the editor role.</p>
        </EmptyState>
      )}
    </>
  );
}
