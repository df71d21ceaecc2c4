import { type Clients, clientsFor } from "./clients.ts";
import { startServerProcess } from "./server-process.ts";

/*
 * A real server process (test/support/server-process.ts) together with clients of every
 * service on its address, for fault tests that kill it and talk to it through the API.
 */

/** A server process, with clients of every service on its address. */
export interface SpawnedServer extends Clients {
  readonly address: string;
  /** SIGKILL (a crash, no shutdown steps), resolving once it is gone; closes the clients. */
  kill(): Promise<void>;
}

/** Starts `src/main.ts` on `store` with extra environment `env`; resolves once it serves. */
export async function spawnServer(
  store: string,
  env: Readonly<Record<string, string>> = {},
): Promise<SpawnedServer> {
  const server = await startServerProcess(store, { PARTITURA_SHUTDOWN_GRACE_MS: "1000", ...env });
  const clients = clientsFor(server.address);
  return {
    ...clients,
    address: server.address,
    async kill() {
      clients.close();
      await server.kill();
    },
  };
}
