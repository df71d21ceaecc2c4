import { performance } from "node:perf_hooks";
import { toError } from "../domain/errors.ts";
import type { InstanceRecord } from "../domain/model.ts";
import type { EngineContext } from "./context.ts";
import { hasCredit, reserve, unreserve } from "./credit.ts";
import { deliverClaimed } from "./deliver.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** First retry delay after a failed poll cycle (a store outage); doubles up to the poll bound. */
const RETRY_MIN_MS = 250;

/**
 * Claims the due instances of one (task, partition) for the streams subscribed to it.
 *
 * It keeps `dueHint`, the earliest time anything in the partition may be ready, learnt from
 * the store after each claim and lowered by wake-ups (a Schedule, a commit, a release, an
 * expired lease). It runs a claim only when something may be due and a stream has credit, and
 * claims at most that credit; otherwise it sleeps until the hint, bounded by `maxPollMs`
 * because other replicas change the store too. At most one claim of a partition runs at a time
 * in a replica, so cycles never race each other for the same credit.
 */
export class PartitionPoller {
  readonly streams: WorkerStream[] = [];
  private dueHint = Number.NEGATIVE_INFINITY;
  /** Wake-ups that arrived during a cycle, applied after the store's answer. */
  private pendingWake = Number.POSITIVE_INFINITY;
  private running = false;
  private scheduled = false;
  /** A bound timer fired: look even when the hint says nothing is due. */
  private forced = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires, on the monotonic clock. */
  private timerAt = 0;
  private cycle: Promise<void> = Promise.resolve();
  private rotation = 0;
  /** Wait before the next look after a failed cycle. */
  private retryMs = RETRY_MIN_MS;

  constructor(
    private readonly ctx: EngineContext,
    readonly task: string,
    readonly partition: number,
  ) {}

  /** Something in the partition is ready at `readyAt`. */
  wake(readyAt: number): void {
    if (this.running) {
      if (readyAt < this.pendingWake) this.pendingWake = readyAt;
      return;
    }
    if (readyAt < this.dueHint) {
      this.dueHint = readyAt;
      this.kick();
    }
  }

  /** The task definition changed: look again at once. */
  reset(): void {
    this.wake(Number.NEGATIVE_INFINITY);
  }

  /** Re-evaluates: runs a claim if something may be due and credit exists, else sleeps. */
  kick(): void {
    if (this.stopped || this.running || this.scheduled) return;
    const credit = hasCredit(this.streams);
    const now = this.ctx.clock.now();
    if (credit && (this.forced || this.dueHint <= now)) {
      // Deferred a turn so a burst of acks returning credit starts one claim, not many.
      this.scheduled = true;
      setImmediate(() => this.start());
      return;
    }
    if (!credit && this.dueHint <= now) this.starve();
    else this.fed();
    // Without credit only the bound timer runs: the next ack kicks this poller anyway.
    const delay = credit ? Math.min(Math.max(0, this.dueHint - now), this.ctx.maxPollMs) : this.ctx.maxPollMs;
    this.arm(delay);
  }

  /** Stops claiming; resolves when a claim in progress has delivered. Idempotent. */
  stop(): Promise<void> {
    this.stopped = true;
    this.fed();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.cycle;
  }

  /** Work is due but no stream has credit: queue up for the next credit that comes back. */
  private starve(): void {
    for (const stream of this.streams) stream.hungry.add(this);
  }

  private fed(): void {
    for (const stream of this.streams) stream.hungry.delete(this);
  }

  /** Sleeps at most `delay` ms; an earlier timer already set is kept (kicks come per ack). */
  private arm(delay: number): void {
    const at = performance.now() + delay;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.forced = true;
      this.kick();
    }, delay);
    // Pollers never keep a process alive on their own: the server (or a test) does.
    this.timer.unref();
  }

  private start(): void {
    this.scheduled = false;
    if (this.stopped || this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    this.forced = false;
    this.cycle = this.run().finally(() => {
      this.running = false;
      if (this.pendingWake < this.dueHint) this.dueHint = this.pendingWake;
      this.pendingWake = Number.POSITIVE_INFINITY;
      this.kick();
    });
  }

  private async run(): Promise<void> {
    const { ctx } = this;
    try {
      const task = await ctx.tasks.get(this.task);
      if (task === undefined || !task.enabled) {
        // Disabled or deleted: deliver nothing until taskChanged (or the cache TTL) says otherwise.
        this.dueHint = Number.POSITIVE_INFINITY;
        return;
      }
      const reservation = reserve(this.streams, ctx.claimBatch, this.rotation++, this);
      if (reservation.total === 0) {
        // A sibling poller holds the credit: keep this look pending until credit returns,
        // or a forced look (the poll bound) would be lost and the partition sleep a full bound.
        this.dueHint = Math.min(this.dueHint, ctx.clock.now());
        this.starve();
        return;
      }
      this.fed();
      let next: number | undefined;
      let answered = false;
      try {
        const now = ctx.clock.now();
        const result = await this.claim(now, reservation.total, task.leaseMs);
        const claimed = result.claimed;
        await deliverClaimed(ctx, task, claimed, reservation, now);
        if (claimed.length >= reservation.total) {
          // A full claim: more may be due right now.
          this.dueHint = now;
          return;
        }
        /*
         * The claim's own answer serves: whatever this cycle's deliveries change later (an
         * at-most-once commit, a release of undeliverable leases) wakes the poller anyway.
         */
        next = result.nextDueAt;
        answered = result.answered;
      } finally {
        unreserve(reservation);
      }
      if (!answered) next = await ctx.store.nextDueAt(this.task, this.partition);
      this.dueHint = next ?? Number.POSITIVE_INFINITY;
      this.retryMs = RETRY_MIN_MS;
    } catch (thrown) {
      // A store outage: log it and try again with backoff rather than spinning.
      ctx.logger.error(
        { err: toError(thrown), task: this.task, partition: this.partition },
        "poll cycle failed; retrying with backoff",
      );
      // Retry with backoff through the due hint (not the timer), so sibling kicks cannot
      // postpone it: a short outage resumes within a second of the store's return.
      this.dueHint = ctx.clock.now() + this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, ctx.maxPollMs);
    }
  }

  /** Claims through the store; `answered` says nextDueAt came along (it always does now). */
  private async claim(
    now: number,
    limit: number,
    leaseMs: number,
  ): Promise<{ claimed: InstanceRecord[]; nextDueAt: number | undefined; answered: boolean }> {
    const { store, owner } = this.ctx;
    const result = await store.claim({
      task: this.task,
      partition: this.partition,
      now,
      limit,
      leaseMs,
      owner,
    });
    return { claimed: result.claimed, nextDueAt: result.nextDueAt, answered: true };
  }
}
