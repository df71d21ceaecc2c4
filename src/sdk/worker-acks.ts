import { type AckItem, LeaseStatus } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { toPartituraError } from "./errors.ts";
import type { ReplicaStream } from "./replica-stream.ts";
import { withRetries } from "./retry.ts";

/** Most items in one Ack call. */
const ACK_BATCH = 512;
/** Sends of one ack batch on UNAVAILABLE (backoff up to 2 s: about 20 s in all), fewer when stopping. */
const ACK_ATTEMPTS = 16;
const STOP_ACK_ATTEMPTS = 4;

/** How a Worker's acks are sent. */
export interface AckSenderOptions {
  /** Acks wait at most this long to be sent together. */
  readonly delayMs: number;
  /** Whether the Worker is stopping (its acks are then retried less). */
  readonly stopping: () => boolean;
  /** The server settled this lease's ack (OK or NOT_FOUND): it cannot be delivered again. */
  readonly confirmed: (leaseId: string) => void;
  readonly onError?: ((error: Error) => void) | undefined;
}

/**
 * Batched acks, per replica: outcomes wait up to `delayMs` (or until a batch is full) and go
 * in one Ack call to the replica that delivered them.
 */
export class AckSender {
  constructor(private readonly options: AckSenderOptions) {}

  /** Queues one outcome for `replica`. */
  add(replica: ReplicaStream, item: AckItem): void {
    replica.pendingAcks.push(item);
    if (replica.pendingAcks.length >= ACK_BATCH) void this.flush(replica);
    else replica.ackTimer ??= setTimeout(() => void this.flush(replica), this.options.delayMs);
  }

  /** Sends what `replica` has pending now; resolves once the server answered (or gave up). */
  flush(replica: ReplicaStream): Promise<void> {
    clearTimeout(replica.ackTimer);
    replica.ackTimer = undefined;
    if (replica.pendingAcks.length === 0) return Promise.resolve();
    const items = replica.pendingAcks.splice(0, replica.pendingAcks.length);
    /*
     * Acks are idempotent and settle by lease id on any replica, even a restarted one (the
     * fencing version is in the id), so one that meets UNAVAILABLE (a restart, a cut) is sent
     * again with backoff, as the Python SDK does; until the server confirms a success, the
     * Worker remembers the slot (worker-slots.ts) so a redelivery of it is acked, not run.
     * Past the retries the lease expires and the execution is delivered again (at-least-once).
     */
    const attempts = this.options.stopping() ? STOP_ACK_ATTEMPTS : ACK_ATTEMPTS;
    return withRetries(() => replica.client.ack({ items }), { attempts }).then(
      ({ results }) => {
        for (const result of results)
          if (result.status !== LeaseStatus.LEASE_LOST) this.options.confirmed(result.leaseId);
      },
      (error: unknown) => this.options.onError?.(toPartituraError(error)),
    );
  }
}
