/**
 * A TCP proxy a test controls, for cutting one client (a worker) off from a server while others
 * still reach it: `cut()` resets every connection through it and refuses new ones (the port is
 * closed), `heal()` opens it again on the same port, `reset()` resets the connections open now
 * (a call in flight — a long-poll claim, a report — gets a connection reset) and lets new ones
 * through. node:net only; bytes are piped unchanged.
 *
 *   const proxy = await startTcpProxy({ targetPort: 4200 });
 *   worker env: BATON_API_URL=http://127.0.0.1:${proxy.port}/api
 */
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections through the proxy now. */
  readonly open: number;
  /** How many connections it has accepted in all. */
  readonly accepted: number;
  /** Resets every connection through it and refuses new ones until heal(). */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  heal(): Promise<void>;
  /** Resets the connections open now; new ones go through. Returns how many it reset. */
  reset(): number;
  /**
   * Resets the next connection that sends bytes matching `pattern` (say a request line
   * `POST /api/trpc/taskRuns.setState`). `before`: those bytes are not forwarded — the request
   * never reaches the server, as when a connection is cut while sending. `after`: they are, and
   * the connection is reset `afterMs` later — the server may have acted, its answer is lost
   * (a parked long poll, a report in flight). Resolves when it has reset one.
   */
  resetNext(pattern: RegExp, opts?: { when?: "before" | "after"; afterMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(opts: { targetPort: number; targetHost?: string; port?: number }): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? "127.0.0.1";
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let accepted = 0;
  let trap: { pattern: RegExp; when: "before" | "after"; afterMs: number; hit: () => void } | undefined;

  const destroyPair = (pair: { client: net.Socket; upstream: net.Socket }) => {
    // RST, not FIN: as a network or middlebox dropping the connection looks to both ends.
    pair.client.resetAndDestroy();
    pair.upstream.resetAndDestroy();
    pairs.delete(pair);
  };

  const onConnection = (client: net.Socket) => {
    accepted++;
    const upstream = net.connect(opts.targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      if (pairs.delete(pair)) {
        client.destroy();
        upstream.destroy();
      }
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk: Buffer) => {
      const t = trap;
      if (t && t.pattern.test(chunk.toString("latin1"))) {
        trap = undefined;
        if (t.when === "before") {
          destroyPair(pair);
          t.hit();
          return;
        }
        setTimeout(() => {
          if (pairs.has(pair)) destroyPair(pair);
          t.hit();
        }, t.afterMs);
      }
      if (pairs.has(pair)) upstream.write(chunk);
    });
    client.on("end", () => upstream.end());
    upstream.pipe(client);
  };

  let server: net.Server | undefined;
  let port = opts.port ?? 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });
  const resetAll = () => {
    const n = pairs.size;
    for (const pair of [...pairs]) destroyPair(pair);
    return n;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get open() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    async cut() {
      const closed = stopListening();
      resetAll();
      await closed;
    },
    async heal() {
      if (!server) await listen();
    },
    reset: resetAll,
    resetNext: (pattern, { when = "after", afterMs = 0 } = {}) => new Promise<void>((resolve) => (trap = { pattern, when, afterMs, hit: resolve })),
    async close() {
      const closed = stopListening();
      resetAll();
      await closed;
    },
  };
}
