"use client";
/**
 * The owners' controls on the members page: a member's role, their execution privilege, removing
 * them; inviting someone (the link to pass on is shown with a Copy button) and cancelling an open
 * invitation. Each says what happened or the API's reason for refusing, and the page re-renders.
 */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmAction } from "@/app/_components/confirm-action";
import { CopyBox } from "@/app/_components/copy-button";
import { useTRPC } from "@/app/_components/trpc-provider";

const ROLES = ["viewer", "editor", "owner"] as const;
type Role = (typeof ROLES)[number];

function Feedback({ ok, error }: { ok?: string | null; error?: string | null }) {
  return (
    <span role="status" aria-live="polite" className="run-feedback">
      {error ? <span className="feedback-error">{error}</span> : ok ? <span className="feedback-ok">{ok}</span> : null}
    </span>
  );
}

export function RoleSelect({ userId, name, role }: { userId: string; name: string; role: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  // What the select shows: the choice while it is saved, the stored role again if it was refused.
  const [value, setValue] = useState(role);
  const update = useMutation(trpc.members.update.mutationOptions({ onSuccess: () => router.refresh(), onError: () => setValue(role) }));
  return (
    <div className="run-action">
      <select
        aria-label={`Role of ${name}`}
        value={value}
        disabled={update.isPending}
        onChange={(e) => {
          setValue(e.target.value);
          update.mutate({ userId, role: e.target.value as Role });
        }}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <Feedback ok={update.isSuccess ? `Now ${update.data.role}` : null} error={update.isError ? update.error.message : null} />
    </div>
  );
}

export function ExecutionToggle({ userId, name, value }: { userId: string; name: string; value: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [checked, setChecked] = useState(value);
  const update = useMutation(trpc.members.update.mutationOptions({ onSuccess: () => router.refresh(), onError: () => setChecked(value) }));
  return (
    <div className="run-action">
      <label className="toggle">
        <input
          type="checkbox"
          aria-label={`${name} may define what workers execute`}
          checked={checked}
          disabled={update.isPending}
          onChange={(e) => {
            setChecked(e.target.checked);
            update.mutate({ userId, mayDefineExecution: e.target.checked });
          }}
        />
        {checked ? "yes" : "no"}
      </label>
      <Feedback error={update.isError ? update.error.message : null} />
    </div>
  );
}

export function RemoveMember({ userId, name }: { userId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <ConfirmAction verb="Remove" pendingVerb="Removing…" name={name} mutation={remove} variables={{ userId }}>
      <Feedback error={remove.isError ? remove.error.message : null} />
    </ConfirmAction>
  );
}

export function InviteForm({ baseUrl }: { baseUrl: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const invite = useMutation(trpc.invitations.create.mutationOptions({ onSuccess: () => router.refresh() }));
  const link = invite.data ? `${baseUrl}/invite/${invite.data.id}` : null;
  return (
    <div className="panel">
      <form
        className="inline-form"
        aria-label="Invite"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          invite.mutate({ email: String(data.get("email")).trim(), role: String(data.get("role")) as Role });
        }}
      >
        <label className="field">
          <span className="field-label">Email</span>
          <input type="email" name="email" required size={28} />
        </label>
        <label className="field">
          <span className="field-label">Role</span>
          <select name="role" defaultValue="editor">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-primary" disabled={invite.isPending}>
          {invite.isPending ? "Inviting…" : "Invite"}
        </button>
      </form>
      {invite.isError ? (
        <p className="feedback-error" role="alert">
          {invite.error.message}
        </p>
      ) : null}
      {link && invite.data ? (
        <div role="status" data-testid="new-invitation">
          <p className="feedback-ok">
            Invitation for <strong>{invite.data.email}</strong> as {invite.data.role}. Send them this link:
          </p>
          <CopyBox text={link} testId="invitation-link" label="Copy link" />
        </div>
      ) : null}
    </div>
  );
}

export function CancelInvitation({ id, email }: { id: string; email: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const cancel = useMutation(trpc.invitations.cancel.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="section-actions">
      <button type="button" className="button button-small" aria-label={`Cancel the invitation for ${email}`} disabled={cancel.isPending} onClick={() => cancel.mutate({ id })}>
        {cancel.isPending ? "Cancelling…" : "Cancel"}
      </button>
      <Feedback error={cancel.isError ? cancel.error.message : null} />
    </div>
  );
}
