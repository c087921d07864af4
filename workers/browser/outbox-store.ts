/**
 * A tab's outbox store: pending reports in IndexedDB (database `baton-outbox`), one entry per
 * pool and run, so a report the server could not take before the tab was closed or reloaded is
 * sent by the next tab worker of that pool in this browser. Where IndexedDB is unavailable (some
 * private modes) the tab keeps them in memory and says so.
 */
import { MemoryOutboxStore, type OutboxStore, type PendingReport } from "@/workers/protocol/outbox";

const DB_NAME = "baton-outbox";
const STORE = "reports";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

function open(): Promise<IDBDatabase> {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => {
    // Keyed by [workspace/pool, run id]: a tab lists only its own pool's reports.
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
  };
  return request(req);
}

export class IndexedDbOutboxStore implements OutboxStore {
  readonly location: string;
  private db: Promise<IDBDatabase> | undefined;

  constructor(private readonly scope: string) {
    this.location = `IndexedDB ${DB_NAME} (${scope})`;
  }

  private async tx(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    this.db ??= open();
    return (await this.db).transaction(STORE, mode).objectStore(STORE);
  }

  async put(report: PendingReport): Promise<void> {
    await request((await this.tx("readwrite")).put(report, [this.scope, report.runId]));
  }

  async remove(runId: string): Promise<void> {
    await request((await this.tx("readwrite")).delete([this.scope, runId]));
  }

  async list(): Promise<PendingReport[]> {
    // Every key [scope, *]: arrays sort element by element, and [] sorts after every string.
    const range = IDBKeyRange.bound([this.scope], [this.scope, []]);
    return (await request((await this.tx("readonly")).getAll(range))) as PendingReport[];
  }
}

/** IndexedDB when this browser has it, else memory (with a warning in the console). */
export async function tabOutboxStore(scope: string): Promise<OutboxStore> {
  try {
    if (typeof indexedDB === "undefined") throw new Error("no IndexedDB");
    const store = new IndexedDbOutboxStore(scope);
    await store.list();
    return store;
  } catch (err) {
    console.warn(`Baton tab worker: IndexedDB is not available (${(err as Error).message}); undelivered reports last only while this tab is open`);
    return new MemoryOutboxStore();
  }
}
