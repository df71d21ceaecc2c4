import type { Execution } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { ConnectionOptions } from "./connection.ts";

/** Runs one execution; a thrown error (or rejection) acks it as FAILURE. */
export type ExecutionHandler = (execution: Execution, signal: AbortSignal) => Promise<void>;

/** How a Worker connects and runs. */
export interface WorkerOptions extends ConnectionOptions {
  readonly task: string;
  /**
   * Runs each execution. Without one, read the executions with `for await (const e of
   * worker)` and settle each with `e.ack()` or `e.fail()`.
   */
  readonly handler?: ExecutionHandler;
  /**
   * Partitions to serve, from `address` only (the partition map is then not followed). Empty:
   * the Worker follows the partition map, one stream per owning replica.
   */
  readonly partitions?: readonly number[];
  readonly workerId?: string;
  /**
   * Most executions running at once (the server never sends more). Divided among the streams
   * (one per replica) when they open. Default 100.
   */
  readonly maxInFlight?: number;
  /** Acks wait at most this long to be sent together. Default 5 ms. */
  readonly ackDelayMs?: number;
  /** How often the partition map is read for a new version. Default 5,000 ms. */
  readonly mapPollMs?: number;
  /** Told about stream, map and ack errors (it reconnects on its own); default: ignored. */
  readonly onError?: (error: Error) => void;
}

/** How an execution read from the iterator is settled when it failed. */
export interface FailOptions {
  /** Under failure mode UNLOCK: wait this long before the retry. */
  readonly retryAfterMs?: number;
  /**
   * Why it failed, in a few words (the server keeps 500 bytes): shown as the note of an instance
   * the task's retry policy pauses or dead-letters.
   */
  readonly error?: string;
}

/** One execution handed out by `for await (const execution of worker)`. */
export interface WorkerExecution {
  readonly execution: Execution;
  readonly task: string;
  readonly instance: string;
  readonly partition: number;
  readonly attempt: number;
  /** The slot this execution is for. */
  readonly scheduledAt: Date;
  /** Aborted when the lease is lost or the Worker stops past its grace. */
  readonly signal: AbortSignal;
  /** Acks SUCCESS (the next slot is committed). A second settle is ignored. */
  ack(): void;
  /** Acks FAILURE: the task's failure mode decides what happens next. */
  fail(options?: FailOptions): void;
}

/** An error a handler may throw to ask for a retry after a delay (failure mode UNLOCK). */
export class RetryLater extends Error {
  override readonly name = "RetryLater";
  constructor(
    readonly delayMs: number,
    message = `retry in ${delayMs} ms`,
  ) {
    super(message);
  }
}
