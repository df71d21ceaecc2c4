import { createConnection, createServer, type Server, type Socket } from "node:net";

/*
 * A real TCP hop between a client and a server, for tests that sever a connection while the
 * server stays up: `cut()` destroys both sockets of every open pair, as a dropped NAT entry or
 * a pulled cable between two healthy processes would. The listener stays open, so the client's
 * reconnect reaches the server again through a fresh pair.
 */

/** A running proxy. */
export interface TcpProxy extends AsyncDisposable {
  /** host:port to point the client at. */
  readonly address: string;
  /** Connections accepted so far (each reconnect adds one). */
  readonly accepted: number;
  /** Destroys every open pair at once; returns how many were open. */
  cut(): number;
  /** Cuts and stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and forwards each connection to `target` (host:port). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const colon = target.lastIndexOf(":");
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host, port });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // Either side ending or failing ends the other: a half-open pair would hide a cut.
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.once("close", end).on("error", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const bound = server.address();
  const address = `127.0.0.1:${typeof bound === "object" && bound !== null ? bound.port : 0}`;
  const cut = () => {
    const open = [...pairs];
    pairs.clear();
    for (const [client, upstream] of open) {
      client.destroy();
      upstream.destroy();
    }
    return open.length;
  };
  const close = async () => {
    cut();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    address,
    get accepted() {
      return accepted;
    },
    cut,
    close,
    [Symbol.asyncDispose]: close,
  };
}
