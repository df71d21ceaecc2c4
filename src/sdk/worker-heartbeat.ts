import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Execution, LeaseStatus } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { toPartituraError } from "./errors.ts";
import type { ReplicaStream } from "./replica-stream.ts";

/** A running execution, as heartbeats see it. */
export interface Renewable {
  /** The delivery whose lease the run holds now. */
  readonly execution: Execution;
  /** The replica that delivered that lease. */
  readonly replica: ReplicaStream;
  readonly controller: AbortController;
  /** Epoch ms after which the lease is extended (a third of its life, leaving two for the call). */
  renewAt: number;
  leaseMs: number;
  /** Epoch ms the lease expires, as last told. */
  expiresAt: number;
}

/**
 * Extends the leases of `running` (by lease id held now) that are due at `now`, each on the
 * replica that delivered it. A lease the server reports gone aborts its run's signal; a run
 * that took over a newer lease meanwhile is keyed by that one, so the old lease's answer
 * finds nothing.
 */
export async function renewLeases(
  running: ReadonlyMap<string, Renewable>,
  now: number,
  onError?: (error: Error) => void,
): Promise<void> {
  const due = [...running.values()].filter((r) => r.renewAt <= now);
  if (due.length === 0) return;
  for (const r of due) r.renewAt = now + r.leaseMs / 3;
  // Map.groupBy is Node 21+.
  const byReplica = new Map<ReplicaStream, Renewable[]>();
  for (const r of due) {
    const group = byReplica.get(r.replica);
    if (group === undefined) byReplica.set(r.replica, [r]);
    else group.push(r);
  }
  await Promise.all(
    [...byReplica].map(async ([replica, items]) => {
      try {
        const { results } = await replica.client.extendLeases({
          items: items.map((r) => ({ leaseId: r.execution.leaseId })),
        });
        for (const result of results) {
          const held = running.get(result.leaseId);
          if (held !== undefined && result.leaseExpiresAt)
            held.expiresAt = timestampMs(result.leaseExpiresAt);
          if (result.status !== LeaseStatus.OK) {
            // The lease is gone (expired, or the instance was unscheduled): stop the work.
            held?.controller.abort(new Error(`lease lost (${result.status})`));
          }
        }
      } catch (thrown) {
        onError?.(toPartituraError(thrown));
      }
    }),
  );
}
