import type * as grpc from "@grpc/grpc-js";
import { ExecuteRequestSchema, LeaseStatus } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { encode, METHOD, type RawClient } from "./grpc-raw.ts";
import { Samples } from "./stats.ts";
import { readAckStatuses, readExecuteResponse, writeAckRequest } from "./wire.ts";

/** How the bench worker subscribes. */
export interface WorkerOptions {
  readonly task: string;
  /** Execute streams to hold open (each with its own max_in_flight). */
  readonly streams: number;
  readonly maxInFlight: number;
  /** Partitions to ask for; empty means the replica's own. */
  readonly partitions?: readonly number[];
  /** The most lease ids one Ack call carries. */
  readonly ackBatch?: number;
  /** Ack calls allowed in flight at once; more acks wait and join the next batch. */
  readonly ackConcurrency?: number;
  /** How long an ack may wait for others to join its batch (the SDK Worker's default: 5 ms). */
  readonly ackDelayMs?: number;
}

/**
 * A worker that does no work: it acks every execution it receives, as fast as the server
 * hands them out, and records the lag (delivered time minus scheduled slot) of each. Acks are
 * batched as the SDK Worker batches them: an ack waits up to `ackDelayMs` for others, or goes
 * at once when a batch is full.
 */
export class BenchWorker {
  readonly #client: RawClient;
  readonly #options: Required<WorkerOptions>;
  readonly #calls: grpc.ClientReadableStream<Buffer>[] = [];
  #pending: Uint8Array[] = [];
  #flushQueued = false;
  #acksInFlight = 0;
  #windowStart = Number.POSITIVE_INFINITY;
  #windowEnd = Number.POSITIVE_INFINITY;
  #closed = false;
  /** Lag of each delivery inside the measurement window. */
  readonly lags = new Samples();
  /** Deliveries inside the window, and in all. */
  deliveredInWindow = 0;
  delivered = 0;
  /** Ack results by LeaseStatus value, and acks that succeeded inside the window. */
  readonly ackStatuses: number[] = [];
  ackedInWindow = 0;
  /** Round-trip time of each Ack call (ms), and the largest backlog of unsent acks. */
  readonly ackRoundTrips = new Samples();
  maxPendingAcks = 0;
  ackErrors = 0;
  streamErrors = 0;
  /** Called for each delivery with its receive time, slot and lease id (wake, soak scenarios). */
  onDelivery: ((receivedAt: number, slot: number, leaseId: Uint8Array) => void) | undefined;

  constructor(client: RawClient, options: WorkerOptions) {
    this.#client = client;
    this.#options = {
      partitions: [],
      ackBatch: 5000,
      ackConcurrency: 4,
      ackDelayMs: Number(process.env.BENCH_ACK_DELAY_MS ?? 5),
      ...options,
    };
  }

  /** Opens the Execute streams. */
  start(): void {
    const request = encode(ExecuteRequestSchema, {
      task: this.#options.task,
      partitions: [...this.#options.partitions],
      workerId: `bench-${process.pid}`,
      maxInFlight: this.#options.maxInFlight,
    });
    for (let i = 0; i < this.#options.streams; i++) {
      const call = this.#client.stream(METHOD.execute, request);
      call.on("data", (message: Buffer) => this.#receive(message));
      call.on("error", (err: grpc.ServiceError) => {
        // A cancelled stream is our own close(); anything else is a fault worth counting.
        if (!this.#closed) {
          this.streamErrors++;
          process.stderr.write(`bench worker: Execute stream failed: ${err.message}\n`);
        }
      });
      this.#calls.push(call);
    }
  }

  /** Counts and records only what arrives within [start, end) (epoch ms). */
  measure(start: number, end: number): void {
    this.#windowStart = start;
    this.#windowEnd = end;
  }

  #receive(message: Buffer): void {
    const now = Date.now();
    const inWindow = now >= this.#windowStart && now < this.#windowEnd;
    const count = readExecuteResponse(message, (leaseId, slot) => {
      this.#pending.push(leaseId);
      if (inWindow) this.lags.add(now - slot);
      this.onDelivery?.(now, slot, leaseId);
    });
    this.delivered += count;
    if (inWindow) this.deliveredInWindow += count;
    if (this.#pending.length >= this.#options.ackBatch) this.#flush();
    else this.#queueFlush(this.#options.ackDelayMs);
  }

  /** Flushes after `delayMs`, unless a flush is queued already. */
  #queueFlush(delayMs: number): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    if (delayMs > 0) setTimeout(() => this.#flush(), delayMs);
    else setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    while (this.#pending.length > 0 && this.#acksInFlight < this.#options.ackConcurrency) {
      if (this.#pending.length > this.maxPendingAcks) this.maxPendingAcks = this.#pending.length;
      const batch = this.#pending.splice(0, this.#options.ackBatch);
      this.#acksInFlight++;
      const sent = performance.now();
      this.#client.unary(METHOD.ack, writeAckRequest(batch)).then(
        (response) => {
          this.ackRoundTrips.add(performance.now() - sent);
          const before = this.ackStatuses[LeaseStatus.OK] ?? 0;
          readAckStatuses(response, this.ackStatuses);
          const now = Date.now();
          if (now >= this.#windowStart && now < this.#windowEnd) {
            this.ackedInWindow += (this.ackStatuses[LeaseStatus.OK] ?? 0) - before;
          }
          this.#ackDone();
        },
        (err: unknown) => {
          this.ackErrors++;
          if (!this.#closed) process.stderr.write(`bench worker: Ack failed: ${String(err)}\n`);
          this.#ackDone();
        },
      );
    }
  }

  #ackDone(): void {
    this.#acksInFlight--;
    // Acks that waited for a free call go out at once: they have waited long enough.
    if (this.#pending.length > 0) this.#queueFlush(0);
  }

  /** Acks by status name, for the result details. */
  ackSummary(): Record<string, number> {
    const rtt = this.ackRoundTrips.summary();
    return {
      ack_calls: rtt?.samples ?? 0,
      ack_rtt_p50_ms: rtt?.p50 ?? 0,
      ack_rtt_p99_ms: rtt?.p99 ?? 0,
      max_pending_acks: this.maxPendingAcks,
      ack_ok: this.ackStatuses[LeaseStatus.OK] ?? 0,
      ack_lease_lost: this.ackStatuses[LeaseStatus.LEASE_LOST] ?? 0,
      ack_not_found: this.ackStatuses[LeaseStatus.NOT_FOUND] ?? 0,
      ack_errors: this.ackErrors,
      stream_errors: this.streamErrors,
    };
  }

  /** Cancels the streams (the server releases what was not acked). */
  close(): void {
    this.#closed = true;
    for (const call of this.#calls) call.cancel();
  }
}
