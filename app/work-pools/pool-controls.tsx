"use client";
/**
 * What editors and owners change on the work pools page: make a pool, set its concurrency
 * limit, pause and resume it; make a queue, set its priority and concurrency limit, pause and
 * resume it. Each form says what the API answered (its own message when it refuses) and the
 * page re-renders with the new values.
 */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { useTRPC } from "@/app/_components/trpc-provider";
import "@/app/_components/management.css";

/** A limit field: blank is "no limit" (null); otherwise a whole number, 0 or more. */
function readLimit(text: string): { value: number | null } | { problem: string } {
  if (!text.trim()) return { value: null };
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? { value: n } : { problem: "A concurrency limit is a whole number, 0 or more (blank: no limit)." };
}

function Feedback({ error, ok }: { error: string | null | undefined; ok?: ReactNode }) {
  return (
    <span role="status" aria-live="polite" className="run-feedback">
      {error ? <span className="feedback-error">{error}</span> : ok ? <span className="feedback-ok">{ok}</span> : null}
    </span>
  );
}

export function CreatePool() {
  const trpc = useTRPC();
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation(trpc.workPools.create.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form
      className="panel form"
      aria-label="New work pool"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        const limit = readLimit(String(data.get("concurrencyLimit") ?? ""));
        if ("problem" in limit) return setProblem(limit.problem);
        setProblem(null);
        create.mutate(
          {
            name: String(data.get("name") ?? "").trim(),
            type: String(data.get("type")) as "node" | "browser" | "process",
            description: String(data.get("description") ?? "").trim() || null,
            concurrencyLimit: limit.value,
          },
          { onSuccess: () => form.reset() },
        );
      }}
    >
      <h2>New work pool</h2>
      <div className="inline-form">
        <label className="field">
          <span className="field-label">Name</span>
          <input type="text" name="name" required maxLength={200} placeholder="gpu-pool" />
        </label>
        <label className="field">
          <span className="field-label">Type</span>
          <select name="type" defaultValue="node">
            <option value="node">node (Node workers)</option>
            <option value="browser">browser (open Baton tabs)</option>
            <option value="process">process (a command per run)</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Concurrency limit</span>
          <input type="number" name="concurrencyLimit" min={0} step={1} placeholder="none" />
        </label>
        <label className="field field-wide">
          <span className="field-label">Description</span>
          <input type="text" name="description" maxLength={2000} placeholder="optional" />
        </label>
        <button type="submit" className="button button-primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create pool"}
        </button>
      </div>
      <Feedback error={problem ?? create.error?.message} ok={create.isSuccess ? `Created ${create.data.name}.` : null} />
    </form>
  );
}

export function PoolSettings({ pool }: { pool: { id: string; name: string; paused: boolean; concurrencyLimit: number | null } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const update = useMutation(trpc.workPools.update.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form
      className="inline-form pool-settings"
      aria-label={`Settings of ${pool.name}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const limit = readLimit(String(new FormData(e.currentTarget).get("concurrencyLimit") ?? ""));
        if ("problem" in limit) return setProblem(limit.problem);
        setProblem(null);
        update.mutate({ workPool: pool.id, concurrencyLimit: limit.value });
      }}
    >
      <label className="field">
        <span className="field-label">Pool concurrency limit</span>
        <input type="number" name="concurrencyLimit" min={0} step={1} placeholder="none" defaultValue={pool.concurrencyLimit ?? ""} aria-label={`Concurrency limit of ${pool.name}`} />
      </label>
      <button type="submit" className="button button-small" disabled={update.isPending}>
        Save limit
      </button>
      <button
        type="button"
        className="button button-small"
        aria-label={`${pool.paused ? "Resume" : "Pause"} pool ${pool.name}`}
        disabled={update.isPending}
        onClick={() => update.mutate({ workPool: pool.id, paused: !pool.paused })}
      >
        {pool.paused ? "Resume pool" : "Pause pool"}
      </button>
      <Feedback error={problem ?? update.error?.message} ok={update.isSuccess ? "Saved." : null} />
    </form>
  );
}

export function QueueSettings({
  pool,
  queue,
}: {
  pool: string;
  queue: { id: string; name: string; priority: number; concurrencyLimit: number | null; paused: boolean };
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const update = useMutation(trpc.workQueues.update.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form
      className="inline-form queue-settings"
      aria-label={`Settings of queue ${queue.name}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const priority = Number(data.get("priority"));
        if (!Number.isInteger(priority) || priority < 0) return setProblem("Priority is a whole number, 0 or more (lower goes first).");
        const limit = readLimit(String(data.get("concurrencyLimit") ?? ""));
        if ("problem" in limit) return setProblem(limit.problem);
        setProblem(null);
        update.mutate({ workPool: pool, workQueue: queue.id, priority, concurrencyLimit: limit.value });
      }}
    >
      <input type="number" name="priority" min={0} step={1} required defaultValue={queue.priority} aria-label={`Priority of queue ${queue.name}`} />
      <input type="number" name="concurrencyLimit" min={0} step={1} placeholder="none" defaultValue={queue.concurrencyLimit ?? ""} aria-label={`Concurrency limit of queue ${queue.name}`} />
      <button type="submit" className="button button-small" disabled={update.isPending}>
        Save
      </button>
      <button
        type="button"
        className="button button-small"
        aria-label={`${queue.paused ? "Resume" : "Pause"} queue ${queue.name}`}
        disabled={update.isPending}
        onClick={() => update.mutate({ workPool: pool, workQueue: queue.id, paused: !queue.paused })}
      >
        {queue.paused ? "Resume" : "Pause"}
      </button>
      <Feedback error={problem ?? update.error?.message} ok={update.isSuccess ? "Saved." : null} />
    </form>
  );
}

export function CreateQueue({ pool, poolName }: { pool: string; poolName: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation(trpc.workQueues.create.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <form
      className="inline-form"
      aria-label={`New queue in ${poolName}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const data = new FormData(form);
        const priorityText = String(data.get("priority") ?? "").trim();
        const priority = priorityText ? Number(priorityText) : undefined;
        if (priority !== undefined && (!Number.isInteger(priority) || priority < 0)) return setProblem("Priority is a whole number, 0 or more (lower goes first).");
        const limit = readLimit(String(data.get("concurrencyLimit") ?? ""));
        if ("problem" in limit) return setProblem(limit.problem);
        setProblem(null);
        create.mutate(
          { workPool: pool, name: String(data.get("name") ?? "").trim(), priority, concurrencyLimit: limit.value },
          { onSuccess: () => form.reset() },
        );
      }}
    >
      <label className="field">
        <span className="field-label">New queue</span>
        <input type="text" name="name" required maxLength={200} placeholder="high-priority" />
      </label>
      <label className="field">
        <span className="field-label">Priority</span>
        <input type="number" name="priority" min={0} step={1} placeholder="1" />
      </label>
      <label className="field">
        <span className="field-label">Concurrency limit</span>
        <input type="number" name="concurrencyLimit" min={0} step={1} placeholder="none" />
      </label>
      <button type="submit" className="button button-small" disabled={create.isPending}>
        {create.isPending ? "Adding…" : "Add queue"}
      </button>
      <Feedback error={problem ?? create.error?.message} ok={create.isSuccess ? `Added ${create.data.name}.` : null} />
    </form>
  );
}

/**
 * Whether a node pool's workers run notebooks' TypeScript code cells (its base job template's
 * `codeCells`): code execution, so the API lets only those who may define what workers execute
 * change it; the page shows the switch to owners.
 */
export function CodeCellsSetting({ pool }: { pool: { id: string; name: string; baseJobTemplate: Record<string, unknown> } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const update = useMutation(trpc.workPools.update.mutationOptions({ onSuccess: () => router.refresh() }));
  const on = pool.baseJobTemplate.codeCells === true;
  return (
    <p className="inline-form" data-testid="pool-code-cells">
      <label>
        <input
          type="checkbox"
          checked={on}
          disabled={update.isPending}
          onChange={() => update.mutate({ workPool: pool.id, baseJobTemplate: { ...pool.baseJobTemplate, codeCells: !on } })}
          aria-describedby={`code-cells-${pool.id}`}
        />{" "}
        Runs notebook code cells
      </label>{" "}
      <span className="muted" id={`code-cells-${pool.id}`}>
        (a deployed notebook&apos;s TypeScript, each cell in a child process with no files, environment or key, but the machine&apos;s network)
      </span>{" "}
      <Feedback error={update.error?.message} ok={update.isSuccess ? "Saved." : null} />
    </p>
  );
}
