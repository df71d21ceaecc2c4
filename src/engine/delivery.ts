import type { PartituraError } from "../domain/errors.ts";
import type { ExecutionReason } from "../domain/model.ts";

/**
 * One execution handed to a worker: the engine's view of the wire `Execution`, free of
 * protobuf types. Args stay encoded (google.protobuf.Struct bytes) so the engine never decodes
 * them; the server merges `args` over `defaultArgs` when it writes the message.
 */
export interface Delivery {
  readonly leaseId: string;
  readonly task: string;
  readonly instance: string;
  readonly partition: number;
  /** The slot this execution stands for (epoch ms). */
  readonly scheduledAt: number;
  /**
   * When the slot was due to go out, when jitter moved it later than scheduledAt (jitter.ts):
   * the lag metric counts from it. Absent without jitter.
   */
  readonly dueAt?: number | undefined;
  readonly leaseExpiresAt: number;
  /** The task's default args (Struct bytes, empty = none). */
  readonly defaultArgs: Uint8Array;
  /** The instance's own args (Struct bytes, empty = none); they win key by key. */
  readonly args: Uint8Array;
  /** 1 on first delivery of this slot. */
  readonly attempt: number;
  /** Why it runs. */
  readonly reason: ExecutionReason;
}

/** Where one Execute stream's deliveries go; the server writes them to its gRPC call. */
export interface DeliverySink {
  /** Writes one message's worth of executions. */
  send(batch: readonly Delivery[]): void;
  /**
   * False while the stream's write buffer is full (the worker does not read): the engine then
   * gives the stream no credit until the server calls StreamHandle.drained(). Absent: always
   * writable.
   */
  writable?(): boolean;
  /** Ends the stream: cleanly, or with the error the worker should see. */
  end(error?: PartituraError): void;
}

/** What a worker asks for when it opens an Execute stream (already defaulted by the server). */
export interface StreamRequest {
  readonly task: string;
  /** Empty means the partitions this replica owns, followed as ownership changes. */
  readonly partitions: readonly number[];
  readonly workerId: string;
  /** 0 means the default. */
  readonly maxInFlight: number;
}

/** One acknowledgement. */
export interface AckInput {
  readonly leaseId: string;
  /** True for a FAILURE outcome. */
  readonly failed: boolean;
  /** With a failure under failure mode UNLOCK (or a longer wait than the retry policy's): how long to wait before the retry. */
  readonly retryAfterMs?: number | undefined;
  /** With a failure: the worker's few words of why (already cut to MAX_ACK_ERROR_BYTES). */
  readonly error?: string;
}

/** One heartbeat. */
export interface ExtendInput {
  readonly leaseId: string;
  /** Absent means the task's lease duration. */
  readonly durationMs?: number;
}
