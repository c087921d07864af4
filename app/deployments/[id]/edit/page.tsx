/** Editing a deployment (editors and owners): the same form as creating one, filled in. */
import type { Metadata } from "next";
import Link from "next/link";
import { EmptyState } from "@/app/_components/empty-state";
import { getViewer } from "@/app/_lib/viewer";
import { DeploymentForm } from "../../deployment-form";
import { loadDeployment, poolChoices } from "../load";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { deployment } = await loadDeployment((await params).id);
  return { title: `Edit ${deployment.flowName}/${deployment.name}` };
}

export default async function EditDeploymentPage({ params }: { params: Params }) {
  const [{ api, deployment }, viewer] = await Promise.all([loadDeployment((await params).id), getViewer()]);
  const fullName = `${deployment.flowName}/${deployment.name}`;
  return (
    <>
      <header className="page-header">
        <div>
          <div className="breadcrumbs">
            <Link href="/deployments">Deployments</Link> / <Link href={`/deployments/${deployment.id}`}>{fullName}</Link>
          </div>
          <h1>Edit {fullName}</h1>
        </div>
      </header>
      {viewer.canEdit ? (
        <DeploymentForm deployment={deployment} pools={await poolChoices(api)} />
      ) : (
        <EmptyState title="Editing is for editors and owners" testId="deployment-edit-not-allowed">
          <p>
            You are {viewer.role ? `a ${viewer.role}` : "not a member"} of this workspace. <Link href={`/deployments/${deployment.id}`}>See the deployment</Link>,
            or ask an owner for the editor role.
          </p>
        </EmptyState>
      )}
    </>
  );
}
