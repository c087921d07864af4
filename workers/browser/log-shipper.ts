/**
 * A run's log lines from a browser tab, sent to Baton (logs.create) in batches: at most one
 * request a second while the run is busy, and everything left when it ends.
 */
import type { createTRPCClient } from "@trpc/client";
import type { AppRouter } from "@/server/api/root";

/** Python's logging levels, which Baton's log records use. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
const FLUSH_AFTER_MS = 1_000;
const MAX_BATCH = 200;

type Api = ReturnType<typeof createTRPCClient<AppRouter>>;
type Line = { flowRunId: string; leaseToken: string; level: number; message: string; timestamp: string };

export class LogShipper {
  private pending: Line[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: Api,
    private readonly flowRunId: string,
    /** Lines carry the lease: the server drops them once it is stale, and says so. */
    private readonly leaseToken: string,
    private readonly onLeaseLost: () => void,
  ) {}

  add(level: keyof typeof LEVELS, message: string): void {
    this.pending.push({ flowRunId: this.flowRunId, leaseToken: this.leaseToken, level: LEVELS[level], message, timestamp: new Date().toISOString() });
    this.timer ??= setTimeout(() => void this.flush().catch(() => {}), FLUSH_AFTER_MS);
  }

  /** Sends what is waiting; calls queue behind each other, so lines keep their order. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending.splice(0);
    // A failed upload must not stop the lines after it.
    this.sending = this.sending.catch(() => {}).then(async () => {
      for (let i = 0; i < lines.length; i += MAX_BATCH) {
        const { leaseLost } = await this.api.logs.create.mutate({ logs: lines.slice(i, i + MAX_BATCH) });
        if (leaseLost.includes(this.flowRunId)) this.onLeaseLost();
      }
    });
    return this.sending;
  }
}
