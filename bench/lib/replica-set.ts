import { Client } from "../../src/sdk/client.ts";
import { freePort } from "./process-memory.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { sleep } from "./stats.ts";

/** One server process in membership mode, as a StatefulSet pod would run it. */
export interface Replica {
  readonly id: string;
  readonly process: ServerProcess;
  readonly metricsPort: number;
}

/** Starts replica `ordinal` (id `partitura-<ordinal>`) on `store`, in membership mode. */
export async function startReplica(store: string, ordinal: number): Promise<Replica> {
  const id = `partitura-${ordinal}`;
  const metricsPort = await freePort();
  const process = await startServerProcess({
    store,
    replicaId: id,
    env: {
      HOSTNAME: id,
      PARTITURA_MEMBERSHIP: "store",
      PARTITURA_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    },
  });
  return { id, process, metricsPort };
}

/**
 * True once every replica in `live` answers the same partition map for `task`, in which
 * `expected` replicas own partitions and together own all `partitions`.
 */
export async function agreed(
  live: readonly Replica[],
  task: string,
  expected: number,
  partitions: number,
): Promise<boolean> {
  const maps = await Promise.all(
    live.map(async (r) => {
      const client = new Client({ address: r.process.address });
      try {
        return await client.getPartitionMap({ task });
      } catch {
        return undefined;
      } finally {
        client.close();
      }
    }),
  );
  const first = maps[0];
  if (first === undefined || maps.some((m) => m === undefined || m.version !== first.version)) return false;
  const owners = first.replicas.filter((r) => r.partitions.length > 0);
  return owners.length === expected && owners.reduce((n, r) => n + r.partitions.length, 0) === partitions;
}

/** Waits (30 s at most) until `agreed` holds. */
export async function waitAgreed(
  live: readonly Replica[],
  task: string,
  expected: number,
  partitions: number,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await agreed(live, task, expected, partitions))) {
    if (Date.now() > deadline) throw new Error(`replicas did not agree on ${expected} owners`);
    await sleep(50);
  }
}
