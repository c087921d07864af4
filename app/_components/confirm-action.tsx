"use client";
/**
 * A destructive action that asks first: "Remove Vera" turns into "Remove Vera?" with "Yes,
 * remove" and "Keep"; yes runs the mutation, and the question closes once it has settled.
 * `children` go after the buttons: where the page shows the mutation's error.
 */
import { useState, type ReactNode } from "react";

export interface ConfirmableMutation<V> {
  isPending: boolean;
  reset(): void;
  mutate(variables: V, options: { onSettled: () => void }): void;
}

export function ConfirmAction<V>({
  verb,
  pendingVerb,
  name,
  mutation,
  variables,
  children,
}: {
  /** What the button does, as it reads on it: "Remove". */
  verb: string;
  /** The yes button's text while it runs: "Removing…". */
  pendingVerb: string;
  /** What it is done to, in the question and the button's accessible name. */
  name: string;
  mutation: ConfirmableMutation<V>;
  variables: V;
  children?: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="section-actions">
      {confirming ? (
        <>
          <span className="confirm-text">
            {verb} {name}?
          </span>
          <button
            type="button"
            className="button button-danger button-small"
            disabled={mutation.isPending}
            onClick={() => mutation.mutate(variables, { onSettled: () => setConfirming(false) })}
          >
            {mutation.isPending ? pendingVerb : `Yes, ${verb.toLowerCase()}`}
          </button>
          <button type="button" className="button button-small" disabled={mutation.isPending} onClick={() => setConfirming(false)}>
            Keep
          </button>
        </>
      ) : (
        <button
          type="button"
          className="button button-small"
          aria-label={`${verb} ${name}`}
          onClick={() => {
            mutation.reset();
            setConfirming(true);
          }}
        >
          {verb}
        </button>
      )}
      {children}
    </div>
  );
}
