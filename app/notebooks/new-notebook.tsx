"use client";
/** "New notebook": a name, then the empty notebook opens. */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/app/_components/trpc-provider";

export function NewNotebook() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const create = useMutation(trpc.notebooks.create.mutationOptions({ onSuccess: (nb) => router.push(`/notebooks/${nb.id}`) }));
  return (
    <form
      className="inline-form panel"
      aria-label="New notebook"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ name });
      }}
    >
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} data-testid="notebook-name" />
      </label>
      <button type="submit" className="button button-primary" disabled={create.isPending || !name.trim()} data-testid="create-notebook">
        Create notebook
      </button>
      <span role="status" aria-live="polite">
        {create.isError ? <span className="feedback-error">{create.error.message}</span> : null}
      </span>
    </form>
  );
}
