/**
 * A small WebSocket-to-TCP proxy, the kind Neon runs in front of Postgres, so the
 * @neondatabase/serverless driver can be exercised against the local PostgreSQL server.
 * Each WebSocket carries one Postgres connection; `?address=host:port` says where to.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export interface WsProxy {
  port: number;
  close(): Promise<void>;
}

export async function startWsProxy(opts: { allowedHosts?: string[] } = {}): Promise<WsProxy> {
  const allowed = new Set(opts.allowedHosts ?? ["127.0.0.1", "localhost"]);
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (ws, req) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const address = url.searchParams.get("address") ?? "";
    const [host, portText] = address.split(":");
    const port = Number(portText);
    // Only ever forward to this machine's own database.
    if (!host || !allowed.has(host) || !Number.isInteger(port)) {
      ws.close(1008, `refusing to proxy to "${address}"`);
      return;
    }
    const socket = net.connect({ host, port });
    const pending: Buffer[] = [];
    socket.on("connect", () => {
      for (const chunk of pending.splice(0)) socket.write(chunk);
    });
    socket.on("data", (data) => ws.send(data));
    socket.on("close", () => ws.close());
    socket.on("error", () => ws.close());
    ws.on("message", (data: Buffer) => {
      if (socket.connecting) pending.push(data);
      else socket.write(data);
    });
    ws.on("close", () => socket.destroy());
    ws.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  return {
    port: (wss.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
