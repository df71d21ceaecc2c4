import type { Logger } from "pino";
import type { Clock } from "../domain/clock.ts";
import { ErrorCode, invalid, PartituraError, toError } from "../domain/errors.ts";
import { DEFAULT_MAX_IN_FLIGHT, FORCED_LOOKS_PER_SECOND, MAX_MAX_IN_FLIGHT } from "../domain/limits.ts";
import type { LeaseStatus } from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import type { Store } from "../store/store.ts";
import { settleAcks } from "./ack.ts";
import type { EngineContext } from "./context.ts";
import { CreditLedger } from "./credit-ledger.ts";
import type { AckInput, DeliverySink, ExtendInput, StreamRequest } from "./delivery.ts";
import { extendLeases, type Heartbeat } from "./extend.ts";
import { type HeldLease, LeaseTable } from "./lease-table.ts";
import { type OutcomeObserver, tallyLeases } from "./outcomes.ts";
import type { Ownership } from "./ownership/ownership.ts";
import { ownershipMoved } from "./ownership-moved.ts";
import type { PartitionPoller } from "./poller.ts";
import { PollerRegistry } from "./poller-registry.ts";
import { releaseLeases } from "./release.ts";
import type { RetryObserver } from "./retries.ts";
import { TaskCache } from "./task-cache.ts";
import { WorkerStream } from "./worker-stream.ts";

/** What the engine needs to run. */
export interface EngineOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This replica's id, recorded as the lease owner. */
  readonly owner: string;
  /**
   * Longest real-time sleep of a poller between two looks at its partition. Default 1 s, or
   * 10 s when the store publishes wake-ups (Store.watch), since then only a lost message or
   * another replica's expired lease goes unannounced.
   */
  readonly maxPollMs?: number;
  /** Most executions one claim takes (default 256); larger claims go out in several messages. */
  readonly claimBatch?: number;
  /** How long a task definition is cached (default 2 s); taskChanged drops it sooner. */
  readonly taskCacheMs?: number;
  /**
   * Which partitions this replica polls for streams that name none. Absent: every partition.
   * The engine follows its changes (onChange); correctness never depends on it.
   */
  readonly ownership?: Pick<Ownership, "owned" | "onChange">;
  /** Told how many partitions of a task this replica owns, whenever that is recomputed (metrics). */
  readonly ownedPartitions?: (task: string, count: number) => void;
  /** Told how executions ended (success, failure, expired, ...), once per batch (metrics). */
  readonly outcomes?: OutcomeObserver;
  /** Told what retry policies did (retried, dead-lettered, ...), for metrics. */
  readonly retries?: RetryObserver;
}

/** How long shutdown waits for in-flight executions by default. */
export const DEFAULT_SHUTDOWN_MS = 10_000;

/** An open Execute stream, as the server holds it. */
export interface StreamHandle {
  /** The worker went away: its unacked leases are released at once. Idempotent. */
  close(): void;
  /** The stream's write buffer drained after the sink reported it full: credit counts again. */
  drained(): void;
}

/** Sizes, for logs, metrics and tests. */
export interface EngineStats {
  readonly streams: number;
  readonly pollers: number;
  readonly leases: number;
}

const SWEEP_MAX_MS = 1000;
const SWEEP_MIN_MS = 20;

/**
 * The execution engine: a poller per served (task, partition), credit-bounded claims, leases
 * held in memory, acks settled in batches. Time comes only from the injected clock; real
 * timers only bound how long a poller or the lease sweep sleeps.
 */
export class Engine {
  private readonly ctx: EngineContext;
  private readonly log: Logger;
  private readonly pollers: PollerRegistry;
  private readonly streams = new Set<WorkerStream>();
  /** Streams that named no partitions, with their task's partition count: they follow ownership. */
  private readonly following = new Map<WorkerStream, number>();
  /** The one owner of stream credit and of which poller feeds which stream. */
  private readonly credit = new CreditLedger<PartitionPoller>();
  private readonly unsubscribe: Array<() => void> = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private nextStreamId = 1;
  private stopping: Promise<void> | undefined;

  constructor(readonly options: EngineOptions) {
    const { store, clock, owner } = options;
    const maxPollMs = options.maxPollMs ?? (store.watch === undefined ? 1000 : 10_000);
    this.log = options.logger;
    this.ctx = {
      store,
      clock,
      owner,
      logger: this.log,
      tasks: new TaskCache(store, options.taskCacheMs ?? 2000),
      leases: new LeaseTable(this.credit),
      credit: this.credit,
      maxPollMs,
      pollBoundMs: () => Math.max(maxPollMs, (this.pollers.count * 1000) / FORCED_LOOKS_PER_SECOND),
      claimBatch: options.claimBatch ?? 256,
      wake: (task, partition, readyAt) => this.wake(task, partition, readyAt),
      outcomes: options.outcomes ?? (() => {}),
      retries: options.retries ?? (() => {}),
    };
    this.pollers = new PollerRegistry(this.ctx);
    if (options.ownership !== undefined) {
      this.unsubscribe.push(options.ownership.onChange(() => this.followOwnership()));
    }
    if (store.watch !== undefined) {
      this.unsubscribe.push(
        store.watch(
          (t, p, at) => this.wake(t, p, at),
          () => this.kickAll(),
        ),
      );
    }
    if (clock.subscribe !== undefined) this.unsubscribe.push(clock.subscribe(() => this.onClockJump()));
    this.armSweep();
  }

  /**
   * Opens an Execute stream: validates the request, then subscribes the stream to a poller per
   * partition: the named ones (served whether owned or not, never ended for an ownership
   * change), or with none named this replica's owned ones, followed as ownership changes.
   * Throws NOT_FOUND for an unknown task, INVALID_ARGUMENT for a partition out of range or a
   * max_in_flight above the limit, UNAVAILABLE while shutting down, and UNAVAILABLE with the
   * refresh-map trailer when it should follow ownership but this replica owns none of the task.
   */
  async openStream(request: StreamRequest, sink: DeliverySink): Promise<StreamHandle> {
    this.refuseWhenStopping();
    checkName("task", request.task);
    // Only logged and recorded, but still bounded like any name.
    if (request.workerId !== "") checkName("worker_id", request.workerId);
    if (request.maxInFlight > MAX_MAX_IN_FLIGHT) {
      throw invalid("max_in_flight", `must be at most ${MAX_MAX_IN_FLIGHT}`);
    }
    // Read afresh: a task just created through another replica must not be refused from cache.
    this.ctx.tasks.drop(request.task);
    const task = await this.ctx.tasks.get(request.task);
    if (task === undefined)
      throw new PartituraError(ErrorCode.NotFound, `task "${request.task}" does not exist`);
    request.partitions.forEach((partition, i) => {
      if (partition >= task.partitionCount) {
        throw invalid(
          `partitions[${i}]`,
          `must be below the task's partition_count (${task.partitionCount})`,
        );
      }
    });
    this.refuseWhenStopping();
    const follows = request.partitions.length === 0;
    const partitions = follows
      ? this.owned(task.name, task.partitionCount)
      : [...new Set(request.partitions)];
    if (partitions.length === 0) throw ownershipMoved();
    const stream = new WorkerStream(
      this.nextStreamId++,
      task.name,
      request.workerId,
      request.maxInFlight === 0 ? DEFAULT_MAX_IN_FLIGHT : request.maxInFlight,
      sink,
    );
    this.streams.add(stream);
    this.credit.open(stream);
    if (follows) this.following.set(stream, task.partitionCount);
    this.serve(stream, partitions);
    this.log.debug(
      { stream: stream.id, task: task.name, worker: request.workerId, partitions: partitions.length },
      "execute stream opened",
    );
    return { close: () => this.closeStream(stream), drained: () => this.credit.resumed(stream) };
  }

  /** Settles acks; per item "ok", "lease_lost" or "not_found", in input order. */
  ack(items: readonly AckInput[]): Promise<LeaseStatus[]> {
    return settleAcks(this.ctx, items);
  }

  /** Heartbeats; per item a status and, when ok, the new lease end. */
  extendLeases(items: readonly ExtendInput[]): Promise<Heartbeat[]> {
    return extendLeases(this.ctx, items);
  }

  /** In-process wake-up: a partition's earliest ready time became `readyAt`. */
  wake(task: string, partition: number, readyAt: number): void {
    this.pollers.get(task, partition)?.wake(readyAt);
  }

  /**
   * A task was created, changed or deleted: drop cached definitions and look again. Streams
   * following ownership re-read its partition count (their owned partitions follow it).
   */
  taskChanged(name: string): void {
    this.ctx.tasks.drop(name);
    for (const poller of this.pollers.ofTask(name)) poller.reset();
    if (![...this.following.keys()].some((stream) => stream.task === name)) return;
    this.ctx.tasks.get(name).then(
      (task) => {
        if (task === undefined) return;
        for (const [stream, count] of this.following) {
          if (stream.task === name && count !== task.partitionCount)
            this.following.set(stream, task.partitionCount);
        }
        this.followOwnership();
      },
      (thrown: unknown) =>
        this.log.warn({ err: toError(thrown), task: name }, "cannot re-read a changed task"),
    );
  }

  /** Current sizes. */
  stats(): EngineStats {
    return { streams: this.streams.size, pollers: this.pollers.count, leases: this.ctx.leases.size };
  }

  /**
   * Stops claiming, lets in-flight executions finish up to `deadlineMs`, releases the rest,
   * ends the streams with a status that tells clients to reconnect. Idempotent: a second call
   * returns the same promise.
   */
  shutdown(deadlineMs: number = DEFAULT_SHUTDOWN_MS): Promise<void> {
    this.stopping ??= this.drain(deadlineMs);
    return this.stopping;
  }

  private async drain(deadlineMs: number): Promise<void> {
    const pollers = this.pollers.clear();
    await Promise.all([...pollers.map((poller) => poller.stop()), this.pollers.retired()]);
    const inFlight = this.ctx.leases.size;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([this.ctx.leases.whenEmpty(), deadline]);
    clearTimeout(timer);
    const rest = this.ctx.leases.takeAll();
    await releaseLeases(this.ctx, rest);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    const reconnect = new PartituraError(
      ErrorCode.Unavailable,
      "the server is shutting down; reconnect to keep receiving executions",
    );
    for (const stream of this.streams) {
      this.credit.close(stream);
      stream.sink.end(reconnect);
    }
    this.streams.clear();
    this.following.clear();
    this.log.info({ inFlight, finished: inFlight - rest.length, released: rest.length }, "engine stopped");
  }

  private refuseWhenStopping(): void {
    if (this.stopping !== undefined) {
      throw new PartituraError(
        ErrorCode.Unavailable,
        "the server is shutting down; reconnect to another replica",
      );
    }
  }

  /** The partitions this replica owns of a task (all of them without an Ownership). */
  private owned(task: string, partitionCount: number): number[] {
    const owned =
      this.options.ownership?.owned(task, partitionCount) ??
      Array.from({ length: partitionCount }, (_, p) => p);
    this.options.ownedPartitions?.(task, owned.length);
    return owned;
  }

  /** Subscribes `stream` to the pollers of `partitions` (made when none runs) and lets them look. */
  private serve(stream: WorkerStream, partitions: readonly number[]): void {
    const pollers = partitions.map((partition) => this.pollers.obtain(stream.task, partition));
    for (const poller of pollers) this.credit.subscribe(stream, poller);
    for (const poller of pollers) poller.kick();
  }

  /**
   * Ownership changed (or a followed task's partition count did): each owner-following stream
   * gets the partitions this replica gained; one that serves a partition it lost is ended so
   * its worker re-reads the map (moved).
   */
  private followOwnership(): void {
    if (this.stopping !== undefined) return;
    const owned = new Map<string, Set<number>>();
    for (const [stream, count] of [...this.following]) {
      const key = `${count}\u0000${stream.task}`;
      let mine = owned.get(key);
      if (mine === undefined) {
        mine = new Set(this.owned(stream.task, count));
        owned.set(key, mine);
      }
      const served = new Set(this.credit.waitersOf(stream).map((poller) => poller.partition));
      if ([...served].some((partition) => !mine.has(partition))) {
        this.moved(stream);
        continue;
      }
      const gained = [...mine].filter((partition) => !served.has(partition));
      if (gained.length > 0) {
        this.log.debug({ stream: stream.id, task: stream.task, gained }, "execute stream gained partitions");
        this.serve(stream, gained);
      }
    }
  }

  /**
   * Ends an owner-following stream that serves a partition this replica no longer owns: it
   * gets no more executions (its pollers stop when no other stream needs them), and ends at
   * once with UNAVAILABLE and the refresh-map trailer, so its worker goes to the new owners
   * without waiting. Its unacked executions are not released: they keep their leases here, so
   * the worker still finishes, heartbeats and acks them on this replica (its acks go by lease
   * id, not by stream) and nothing is delivered twice; a lease never acked expires as usual.
   */
  private moved(stream: WorkerStream): void {
    this.streams.delete(stream);
    this.following.delete(stream);
    const { orphans, leases } = this.credit.close(stream);
    this.pollers.retire(orphans);
    this.log.info(
      { stream: stream.id, task: stream.task, worker: stream.workerId, inFlight: leases.length },
      "execute stream ended: partition ownership changed",
    );
    stream.sink.end(ownershipMoved());
  }

  private closeStream(stream: WorkerStream): void {
    if (!this.credit.isOpen(stream)) return;
    this.streams.delete(stream);
    this.following.delete(stream);
    const { orphans, leases: ids } = this.credit.close(stream);
    // The last subscriber left a partition: stop polling it.
    this.pollers.retire(orphans);
    const leases = this.ctx.leases.takeIds(ids);
    this.log.debug({ stream: stream.id, released: leases.length }, "execute stream closed");
    void releaseLeases(this.ctx, leases);
  }

  /** A manual clock jumped: expire leases and let every poller look at the new time. */
  private onClockJump(): void {
    this.sweep();
    this.kickAll();
  }

  /** Every poller looks at its partition now (after a clock jump, or lost wake-ups). */
  private kickAll(): void {
    for (const poller of this.pollers.all()) poller.kick();
  }

  private armSweep(): void {
    const untilExpiry = this.ctx.leases.earliestExpiry - this.ctx.clock.now();
    const delay = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, untilExpiry));
    this.sweepTimer = setTimeout(() => {
      this.sweep();
      if (this.sweepTimer !== undefined) this.armSweep();
    }, delay);
    this.sweepTimer.unref();
  }

  /** Expired leases give their credit back; their instances are ready again at the lease end. */
  private sweep(): void {
    let expired: HeldLease[];
    try {
      expired = this.ctx.leases.takeExpired(this.ctx.clock.now());
    } catch (thrown) {
      this.log.error({ err: toError(thrown) }, "lease sweep failed");
      return;
    }
    if (expired.length === 0) return;
    tallyLeases(this.ctx.outcomes, expired, "expired");
    const streams = new Set<WorkerStream>();
    for (const lease of expired) {
      streams.add(lease.stream);
      this.wake(lease.ref.task, lease.ref.partition, lease.expiresAt);
    }
    for (const stream of streams) this.credit.creditReturned(stream);
  }
}
