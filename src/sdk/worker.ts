import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  type AckItem,
  type ExecuteResponse,
  type Execution,
  ExecutionService,
  LeaseStatus,
  Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { type ClientOf, makeClient } from "./client.ts";

/** Runs one execution; a thrown error (or rejection) acks it as FAILURE. */
export type ExecutionHandler = (execution: Execution, signal: AbortSignal) => Promise<void>;

/** How a Worker connects and runs. */
export interface WorkerOptions {
  /** host:port of a Partitura server. */
  readonly address: string;
  readonly task: string;
  readonly handler: ExecutionHandler;
  /** Partitions to serve; empty means every partition the server owns. */
  readonly partitions?: readonly number[];
  readonly workerId?: string;
  /** Most executions running at once (the server never sends more). Default 100. */
  readonly maxInFlight?: number;
  /** Acks wait at most this long to be sent together. Default 5 ms. */
  readonly ackDelayMs?: number;
  readonly credentials?: grpc.ChannelCredentials;
  /** Told about stream and ack errors (it reconnects on its own); default: ignored. */
  readonly onError?: (error: Error) => void;
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

const ACK_BATCH = 512;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** How often running executions are checked for a lease to renew (short leases need it). */
const HEARTBEAT_TICK_MS = 100;

interface Running {
  readonly execution: Execution;
  readonly controller: AbortController;
  /** Epoch ms after which the lease is extended (a third of its life, leaving two for the call). */
  renewAt: number;
  leaseMs: number;
}

/**
 * A worker on one task: holds an Execute stream, runs each execution with the handler,
 * acks in batches, heartbeats long executions every third of their lease, and reconnects with
 * backoff when the stream ends (a server restart, a rollout). At-least-once tasks may deliver
 * an execution again after a crash, so handlers should be idempotent.
 */
export class Worker {
  private readonly client: ClientOf<typeof ExecutionService.method>;
  private readonly running = new Map<string, Running>();
  private readonly pendingAcks: AckItem[] = [];
  private call: grpc.ClientReadableStream<ExecuteResponse> | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = RECONNECT_MIN_MS;
  private stopping: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.client = makeClient(ExecutionService, options.address, options.credentials);
  }

  /** Opens the stream; executions start arriving as they fall due. */
  start(): this {
    this.connect();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_TICK_MS);
    this.heartbeatTimer.unref();
    return this;
  }

  /** Executions running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /**
   * Stops taking executions, lets running ones finish (up to `graceMs`, then aborts their
   * signals and acks them as failures), sends the last acks and closes. Idempotent.
   */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private connect(): void {
    if (this.stopping) return;
    const call = this.client.execute({
      task: this.options.task,
      partitions: [...(this.options.partitions ?? [])],
      workerId: this.options.workerId ?? "",
      maxInFlight: this.options.maxInFlight ?? 0,
    });
    this.call = call;
    call.on("data", (message: ExecuteResponse) => {
      this.backoffMs = RECONNECT_MIN_MS;
      for (const execution of message.executions) this.run(execution);
    });
    call.on("error", (error: grpc.ServiceError) => {
      if (this.stopping && error.code === grpc.status.CANCELLED) return;
      this.options.onError?.(error);
      this.reconnect(call);
    });
    call.on("end", () => this.reconnect(call));
  }

  private reconnect(ended: grpc.ClientReadableStream<ExecuteResponse>): void {
    // The server released this stream's unacked leases; acks still in flight get LEASE_LOST.
    if (this.call !== ended || this.stopping) return;
    this.call = undefined;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private run(execution: Execution): void {
    // While stopping, executions that still arrive are not started: cancelling the stream
    // afterwards releases their leases at once, so another worker runs them without delay.
    if (this.stopping) return;
    const now = Date.now();
    const expires = execution.leaseExpiresAt ? timestampMs(execution.leaseExpiresAt) : now;
    const leaseMs = Math.max(expires - now, 1);
    const running: Running = {
      execution,
      controller: new AbortController(),
      renewAt: now + leaseMs / 3,
      leaseMs,
    };
    this.running.set(execution.leaseId, running);
    // Called from the stream's "data" listener: a handler that throws synchronously (or
    // returns no promise) must become a FAILURE ack, not an exception inside the emitter.
    Promise.resolve()
      .then(() => this.options.handler(execution, running.controller.signal))
      .then(
        () => this.finish(execution.leaseId, Outcome.SUCCESS, 0),
        (thrown: unknown) =>
          this.finish(execution.leaseId, Outcome.FAILURE, thrown instanceof RetryLater ? thrown.delayMs : 0),
      );
  }

  private finish(leaseId: string, outcome: Outcome, retryAfterMs: number): void {
    if (!this.running.delete(leaseId)) return;
    this.pendingAcks.push({
      $typeName: "partitura.v1.AckItem",
      leaseId,
      outcome,
      ...(retryAfterMs > 0 ? { retryAfter: durationFromMs(retryAfterMs) } : {}),
    });
    if (this.pendingAcks.length >= ACK_BATCH) this.flushAcks();
    else this.ackTimer ??= setTimeout(() => this.flushAcks(), this.options.ackDelayMs ?? 5);
    if (this.running.size === 0) this.idle?.();
  }

  private flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.pendingAcks.length === 0) return Promise.resolve();
    const items = this.pendingAcks.splice(0, this.pendingAcks.length);
    // An ack that fails needs no retry: the lease expires (or is released if the stream
    // ends with the server), and the execution is delivered again (at-least-once).
    return this.client.ack({ items }).then(
      () => undefined,
      (error: Error) => this.options.onError?.(error),
    );
  }

  private async heartbeat(): Promise<void> {
    const now = Date.now();
    const due = [...this.running.values()].filter((r) => r.renewAt <= now);
    if (due.length === 0) return;
    for (const r of due) r.renewAt = now + r.leaseMs / 3;
    try {
      const { results } = await this.client.extendLeases({
        items: due.map((r) => ({ leaseId: r.execution.leaseId })),
      });
      for (const result of results) {
        if (result.status !== LeaseStatus.OK) {
          // The lease is gone (expired, or the instance was unscheduled): stop the work.
          this.running.get(result.leaseId)?.controller.abort(new Error(`lease lost (${result.status})`));
        }
      }
    } catch (thrown) {
      this.options.onError?.(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    clearTimeout(this.reconnectTimer);
    // The stream stays open while running executions finish: closing it first would release
    // their leases and get them delivered twice.
    if (this.running.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.idle = resolve;
      });
      // After the grace, abort and ack as failures at once: a handler that ignores its signal
      // must not hold stop() forever. Its late settle is then a no-op (finish() ignores lease
      // ids it no longer runs).
      const timer = setTimeout(() => {
        for (const [leaseId, r] of [...this.running]) {
          r.controller.abort(new Error("worker stopping"));
          this.finish(leaseId, Outcome.FAILURE, 0);
        }
      }, graceMs);
      await drained;
      clearTimeout(timer);
    }
    await this.flushAcks();
    clearInterval(this.heartbeatTimer);
    this.call?.cancel();
    this.call = undefined;
    this.client.close();
  }
}
