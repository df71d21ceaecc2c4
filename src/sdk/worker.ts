import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  type ExecuteResponse,
  type Execution,
  ExecutionService,
  Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { AsyncQueue } from "./async-queue.ts";
import { channelOf, metadataOf } from "./connection.ts";
import { toPartituraError } from "./errors.ts";
import { dialAddress, REFRESH_MAP_TRAILER, type ReplicaStream } from "./replica-stream.ts";
import { jittered } from "./retry.ts";
import { type ClientOf, makeClient } from "./rpc.ts";
import { AckSender } from "./worker-acks.ts";
import { type Renewable, renewLeases } from "./worker-heartbeat.ts";
import { SlotIndex } from "./worker-slots.ts";
import { RetryLater, type WorkerExecution, type WorkerOptions } from "./worker-types.ts";

export {
  type ExecutionHandler,
  type FailOptions,
  RetryLater,
  type WorkerExecution,
  type WorkerOptions,
} from "./worker-types.ts";

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** How often running executions are checked for a lease to renew (short leases need it). */
const HEARTBEAT_TICK_MS = 100;

/** One run; a redelivery of its slot takes over (execution and replica change to the new lease's). */
interface Running extends Renewable {
  execution: Execution;
  replica: ReplicaStream;
  /** What `for await` handed out for it, if it was. */
  handedOut?: WorkerExecution;
}

/**
 * A worker on one task. It reads the task's partition map and holds one Execute stream per
 * owning replica, re-reading the map when its version changes (polled), when a stream fails
 * UNAVAILABLE and when the server asks (the `partitura-refresh-map` trailer). It runs each
 * execution with the handler (or hands it to a `for await` loop), acks in batches to the
 * replica that delivered it, heartbeats long executions every third of their lease, and
 * reconnects with backoff. A slot redelivered while it still runs here, or after it succeeded
 * here but before the ack got through (a cut stream, a restarted server), is not run again
 * (worker-slots.ts). At-least-once tasks may still deliver an execution again after a lease
 * expired or to another worker, so handlers should be idempotent.
 */
export class Worker implements AsyncDisposable, AsyncIterable<WorkerExecution> {
  private readonly connect: (address: string) => ClientOf<typeof ExecutionService.method>;
  private readonly scheduler: ClientOf<typeof SchedulerService.method>;
  private readonly replicas = new Map<string, ReplicaStream>();
  /** By the lease id each run holds now. */
  private readonly running = new Map<string, Running>();
  private readonly slots = new SlotIndex<Running>();
  private readonly acks: AckSender;
  private readonly queue = new AsyncQueue<WorkerExecution>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private mapTimer: NodeJS.Timeout | undefined;
  private mapVersion: bigint | undefined;
  private mapReading: Promise<void> | undefined;
  private mapAgain = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  constructor(private readonly options: WorkerOptions) {
    const { credentials, channelOptions } = channelOf(options);
    const rpc = { metadata: metadataOf(options), channelOptions };
    this.connect = (address) => makeClient(ExecutionService, address, credentials, rpc);
    this.scheduler = makeClient(SchedulerService, options.address, credentials, rpc);
    this.acks = new AckSender({
      delayMs: options.ackDelayMs ?? 5,
      stopping: () => this.stopping !== undefined,
      confirmed: (leaseId) => this.slots.confirmed(leaseId),
      onError: options.onError,
    });
  }

  /** Opens the streams; executions start arriving as they fall due. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    if (this.followsMap()) {
      void this.refreshMap();
      this.mapTimer = setInterval(() => void this.refreshMap(), this.options.mapPollMs ?? 5_000);
      this.mapTimer.unref();
    } else {
      this.open(this.options.address);
    }
    this.heartbeatTimer = setInterval(
      () => void renewLeases(this.running, Date.now(), this.options.onError),
      HEARTBEAT_TICK_MS,
    );
    this.heartbeatTimer.unref();
    return this;
  }

  /** Executions running now (handed out and not yet acked). */
  get inFlight(): number {
    return this.running.size;
  }

  /** The replicas streamed from now (host:port). */
  get addresses(): string[] {
    return [...this.replicas.values()].filter((r) => !r.retiring).map((r) => r.address);
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

  /**
   * The executions as they are delivered (starts the Worker). Settle each with ack() or
   * fail(); leaving the loop stops the Worker.
   */
  [Symbol.asyncIterator](): AsyncIterator<WorkerExecution> {
    if (this.options.handler) throw new Error("this Worker has a handler; iterate a Worker made without one");
    this.start();
    return {
      next: () => this.queue.next(),
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  private followsMap(): boolean {
    return (this.options.partitions ?? []).length === 0;
  }

  /** Reads the map and opens/retires streams to match; one read at a time, repeated if asked meanwhile. */
  private refreshMap(): Promise<void> {
    if (this.stopping || !this.followsMap()) return Promise.resolve();
    if (this.mapReading) {
      this.mapAgain = true;
      return this.mapReading;
    }
    this.mapReading = (async () => {
      do {
        this.mapAgain = false;
        await this.readMap();
      } while (this.mapAgain && !this.stopping);
      this.mapReading = undefined;
    })();
    return this.mapReading;
  }

  private async readMap(): Promise<void> {
    let addresses: string[];
    try {
      const map = await this.scheduler.getPartitionMap(
        { task: this.options.task },
        { deadline: Date.now() + 5_000 },
      );
      if (map.version === this.mapVersion && this.addresses.length > 0) return;
      this.mapVersion = map.version;
      addresses = map.replicas
        .filter((r) => r.partitions.length > 0)
        .map((r) => dialAddress(r.address, this.options.address));
    } catch (thrown) {
      this.options.onError?.(toPartituraError(thrown));
      // With no map (the server is down, the task not yet defined) the given address is the
      // best guess; its stream reconnects until the map can be read.
      if (this.replicas.size > 0) return;
      addresses = [this.options.address];
    }
    if (this.stopping) return;
    const wanted = new Set(addresses);
    for (const replica of this.replicas.values()) {
      if (!wanted.has(replica.address)) this.retire(replica);
    }
    for (const address of wanted) {
      const replica = this.replicas.get(address);
      if (replica === undefined) this.open(address);
      else if (replica.retiring) {
        replica.retiring = false;
        if (!replica.call) this.listen(replica);
      }
    }
  }

  private open(address: string): void {
    const replica: ReplicaStream = {
      address,
      client: this.connect(address),
      call: undefined,
      pendingAcks: [],
      ackTimer: undefined,
      reconnectTimer: undefined,
      backoffMs: RECONNECT_MIN_MS,
      retiring: false,
    };
    this.replicas.set(address, replica);
    this.listen(replica);
  }

  private listen(replica: ReplicaStream): void {
    if (this.stopping || replica.retiring) return;
    const total = this.options.maxInFlight ?? 100;
    const streams = Math.max(1, this.addresses.length);
    const call = replica.client.execute({
      task: this.options.task,
      partitions: [...(this.options.partitions ?? [])],
      workerId: this.options.workerId ?? "",
      maxInFlight: Math.max(1, Math.floor(total / streams)),
    });
    replica.call = call;
    call.on("data", (message: ExecuteResponse) => {
      replica.backoffMs = RECONNECT_MIN_MS;
      for (const execution of message.executions) this.run(execution, replica);
    });
    call.on("error", (error: grpc.ServiceError) => {
      if (replica.call !== call) return;
      if ((this.stopping || replica.retiring) && error.code === grpc.status.CANCELLED) return;
      this.options.onError?.(toPartituraError(error));
      const refresh = error.metadata?.get(REFRESH_MAP_TRAILER).length > 0;
      if (refresh || error.code === grpc.status.UNAVAILABLE) void this.refreshMap();
      this.reconnect(replica, call);
    });
    call.on("end", () => this.reconnect(replica, call));
  }

  private reconnect(replica: ReplicaStream, ended: grpc.ClientReadableStream<ExecuteResponse>): void {
    // The server released this stream's unacked leases; acks still in flight get LEASE_LOST.
    if (replica.call !== ended || this.stopping) return;
    replica.call = undefined;
    if (replica.retiring) {
      this.closeIfIdle(replica);
      return;
    }
    const delay = jittered(replica.backoffMs);
    replica.backoffMs = Math.min(replica.backoffMs * 2, RECONNECT_MAX_MS);
    replica.reconnectTimer = setTimeout(() => this.listen(replica), delay);
  }

  private retire(replica: ReplicaStream): void {
    replica.retiring = true;
    clearTimeout(replica.reconnectTimer);
    this.closeIfIdle(replica);
  }

  /** Closes a retired replica once nothing it delivered is running (its acks must reach it). */
  private closeIfIdle(replica: ReplicaStream): void {
    if (!replica.retiring) return;
    for (const r of this.running.values()) if (r.replica === replica) return;
    void this.acks.flush(replica).then(() => {
      if (!replica.retiring || this.replicas.get(replica.address) !== replica) return;
      replica.call?.cancel();
      replica.call = undefined;
      replica.client.close();
      this.replicas.delete(replica.address);
    });
  }

  private run(execution: Execution, replica: ReplicaStream): void {
    // While stopping (or leaving this replica), executions that still arrive are not started:
    // cancelling the stream afterwards releases their leases at once, so they run elsewhere.
    if (this.stopping || replica.retiring) return;
    const now = Date.now();
    const expires = execution.leaseExpiresAt ? timestampMs(execution.leaseExpiresAt) : now;
    const leaseMs = Math.max(expires - now, 1);
    // A redelivery of a slot this Worker runs or ran (its stream was cut): see worker-slots.ts.
    const earlier = this.slots.runningFor(execution);
    if (earlier !== undefined) {
      this.running.delete(earlier.execution.leaseId);
      Object.assign(earlier, { execution, replica, leaseMs, expiresAt: expires, renewAt: now + leaseMs / 3 });
      this.running.set(execution.leaseId, earlier);
      this.slots.start(execution, earlier);
      return;
    }
    if (this.slots.succeededBefore(execution, now)) {
      this.acks.add(replica, {
        $typeName: "partitura.v1.AckItem",
        leaseId: execution.leaseId,
        outcome: Outcome.SUCCESS,
        error: "",
      });
      return;
    }
    const running: Running = {
      execution,
      controller: new AbortController(),
      replica,
      renewAt: now + leaseMs / 3,
      leaseMs,
      expiresAt: expires,
    };
    this.running.set(execution.leaseId, running);
    this.slots.start(execution, running);
    const handler = this.options.handler;
    if (handler === undefined) {
      running.handedOut = this.handOut(running);
      this.queue.push(running.handedOut);
      return;
    }
    // Called from the stream's "data" listener: a handler that throws synchronously (or
    // returns no promise) must become a FAILURE ack, not an exception inside the emitter.
    Promise.resolve()
      .then(() => handler(execution, running.controller.signal))
      .then(
        () => this.finish(running, Outcome.SUCCESS, 0),
        (thrown: unknown) =>
          this.finish(
            running,
            Outcome.FAILURE,
            thrown instanceof RetryLater ? thrown.delayMs : 0,
            // The server keeps the message as the note of a dead-lettered or paused instance.
            thrown instanceof Error ? thrown.message : String(thrown),
          ),
      );
  }

  private handOut(running: Running): WorkerExecution {
    const { execution } = running;
    return {
      execution,
      task: execution.task,
      instance: execution.instance,
      partition: execution.partition,
      attempt: execution.attempt,
      scheduledAt: new Date(execution.scheduledAt ? timestampMs(execution.scheduledAt) : 0),
      signal: running.controller.signal,
      ack: () => this.finish(running, Outcome.SUCCESS, 0),
      fail: (options = {}) =>
        this.finish(running, Outcome.FAILURE, options.retryAfterMs ?? 0, options.error ?? ""),
    };
  }

  private finish(running: Running, outcome: Outcome, retryAfterMs: number, error = ""): void {
    const { execution, replica } = running;
    const leaseId = execution.leaseId;
    // A second settle, or one after stop()'s grace acked it already, is ignored.
    if (this.running.get(leaseId) !== running) return;
    this.running.delete(leaseId);
    this.slots.finish(execution, outcome === Outcome.SUCCESS, { ...running, now: Date.now() });
    this.acks.add(replica, {
      $typeName: "partitura.v1.AckItem",
      leaseId,
      outcome,
      error,
      ...(retryAfterMs > 0 ? { retryAfter: durationFromMs(retryAfterMs) } : {}),
    });
    if (this.running.size === 0) this.idle?.();
    if (replica.retiring) this.closeIfIdle(replica);
  }

  private async shutdown(graceMs: number): Promise<void> {
    clearInterval(this.mapTimer);
    for (const replica of this.replicas.values()) clearTimeout(replica.reconnectTimer);
    // Handed-out executions nobody has read yet are not started: the stream's cancel below
    // releases their leases, so another worker runs them at once.
    const unread = new Set(this.queue.close(true));
    for (const [leaseId, r] of [...this.running]) {
      if (r.handedOut !== undefined && unread.has(r.handedOut)) this.running.delete(leaseId);
    }
    // The streams stay open while running executions finish: closing them first would release
    // their leases and get them delivered twice.
    if (this.running.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.idle = resolve;
      });
      // After the grace, abort and ack as failures at once: a handler that ignores its signal
      // must not hold stop() forever. Its late settle is then a no-op (finish() ignores lease
      // ids it no longer runs).
      const timer = setTimeout(() => {
        for (const r of [...this.running.values()]) {
          r.controller.abort(new Error("worker stopping"));
          this.finish(r, Outcome.FAILURE, 0);
        }
      }, graceMs);
      await drained;
      clearTimeout(timer);
    }
    await Promise.all([...this.replicas.values()].map((replica) => this.acks.flush(replica)));
    clearInterval(this.heartbeatTimer);
    await this.mapReading;
    for (const replica of this.replicas.values()) {
      replica.call?.cancel();
      replica.call = undefined;
      replica.client.close();
    }
    this.replicas.clear();
    this.scheduler.close();
  }
}
