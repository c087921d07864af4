/**
 * Who may do what, in one place. Members have a role in each workspace (owner, editor, viewer);
 * API keys carry one too, and `worker` keys only speak the worker protocol for their pools.
 *
 * Defining what a worker executes (process-pool commands and job templates, job variables,
 * entrypoints) is code execution on someone's machine: it is a privilege of its own, held by
 * owners and by members an owner granted it to.
 */
import { createAccessControl } from "better-auth/plugins/access";
import { defaultStatements } from "better-auth/plugins/organization/access";

export const MEMBER_ROLES = ["owner", "editor", "viewer"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
export const KEY_ROLES = ["owner", "editor", "viewer", "worker"] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** Higher may do everything lower may. `worker` is apart: it is not a member role at all. */
const RANK: Record<MemberRole, number> = { viewer: 1, editor: 2, owner: 3 };

export function roleAtLeast(role: MemberRole, min: MemberRole): boolean {
  return RANK[role] >= RANK[min];
}

export function isMemberRole(role: string): role is MemberRole {
  return (MEMBER_ROLES as readonly string[]).includes(role);
}

/** The access control better-auth's organization plugin enforces on its own endpoints. */
export const accessControl = createAccessControl(defaultStatements);

export const authRoles = {
  owner: accessControl.newRole({
    organization: ["update", "delete"],
    member: ["create", "update", "delete"],
    invitation: ["create", "cancel"],
    team: [],
    ac: ["create", "read", "update", "delete"],
  }),
  // Editors run and change flows, deployments and pools; managing people is the owners'.
  editor: accessControl.newRole({ organization: [], member: [], invitation: [], team: [], ac: ["read"] }),
  viewer: accessControl.newRole({ organization: [], member: [], invitation: [], team: [], ac: [] }),
};
