/**
 * A callback-fed queue read as an async iterator, for turning the change feed's callbacks into a
 * tRPC subscription's generator. Ends when `signal` aborts (the page went away). Events that
 * pile up while the reader is slow (a stalled connection) are capped: past `limit` the queue
 * keeps only a `resync` marker, since the page must read everything again anyway.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly overflow: T,
    private readonly limit = 1_000,
  ) {}

  push(item: T): void {
    if (this.items.length >= this.limit) this.items = [this.overflow];
    else this.items.push(item);
    this.wake?.();
    this.wake = undefined;
  }

  async *drain(signal: AbortSignal | undefined): AsyncGenerator<T> {
    const aborted = new Promise<void>((resolve) => {
      if (!signal || signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    while (!signal?.aborted) {
      if (!this.items.length) {
        await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), aborted]);
        continue;
      }
      const batch = this.items;
      this.items = [];
      for (const item of batch) yield item;
    }
  }
}
