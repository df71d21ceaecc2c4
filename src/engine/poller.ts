import { performance } from "node:perf_hooks";
import { toError } from "../domain/errors.ts";
import type { EngineContext } from "./context.ts";
import type { CreditWaiter } from "./credit-ledger.ts";
import { deliverClaimed } from "./deliver.ts";

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
 * in a replica, so cycles never race each other for the same credit. Its streams and their
 * credit belong to the engine's CreditLedger: a poller only asks it.
 */
export class PartitionPoller implements CreditWaiter {
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
  /** The stretched poll bound's random phase was taken (see phase()). */
  private phased = false;
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
    const { credit } = this.ctx;
    const now = this.ctx.clock.now();
    const wants = this.forced || this.dueHint <= now;
    if (wants && credit.hasCredit(this)) {
      // Deferred a turn so a burst of acks returning credit starts one claim, not many.
      this.scheduled = true;
      setImmediate(() => this.start());
      return;
    }
    const bound = this.ctx.pollBoundMs();
    if (wants) {
      // Queued on the ledger: returned credit wakes it. The bound timer is only a safety net.
      credit.hungry(this);
      this.arm(bound);
      return;
    }
    credit.fed(this);
    // Nothing due: sleep on the timer (credit or not); no sibling's credit wakes this poller.
    this.arm(Math.min(Math.max(0, this.dueHint - now), this.phase(bound)));
  }

  /**
   * The sleep of an idle poller. A bound stretched past `maxPollMs` (many partitions) is first
   * slept for a random part of it and then whole, so the pollers of one stream keep random
   * phases: together they look at a steady FORCED_LOOKS_PER_SECOND from the start, never in
   * one burst and never after a quiet spell. An unstretched bound is kept as is.
   */
  private phase(bound: number): number {
    if (bound <= this.ctx.maxPollMs || this.phased) return bound;
    this.phased = true;
    return bound * Math.random();
  }

  /** Stops claiming; resolves when a claim in progress has delivered. Idempotent. */
  stop(): Promise<void> {
    this.stopped = true;
    this.ctx.credit.fed(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.cycle;
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
      const reservation = ctx.credit.reserve(this, ctx.claimBatch, this.rotation++);
      if (reservation.total === 0) {
        // A sibling poller holds the credit: keep this look pending until credit returns,
        // or a forced look (the poll bound) would be lost and the partition sleep a full bound.
        this.dueHint = Math.min(this.dueHint, ctx.clock.now());
        ctx.credit.hungry(this);
        return;
      }
      ctx.credit.fed(this);
      let next: number | undefined;
      try {
        const now = ctx.clock.now();
        const result = await ctx.store.claim({
          task: this.task,
          partition: this.partition,
          now,
          limit: reservation.total,
          leaseMs: task.leaseMs,
          owner: ctx.owner,
        });
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
      } finally {
        ctx.credit.unreserve(reservation);
      }
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
}
