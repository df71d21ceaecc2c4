import type { ExecutionMode, ExecutionReason, LeaseRef } from "../domain/model.ts";
import type { CreditLedger } from "./credit-ledger.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** A lease this replica delivered, kept in memory so its ack needs no store read. */
export interface HeldLease {
  readonly id: string;
  readonly ref: LeaseRef;
  readonly stream: WorkerStream;
  readonly mode: ExecutionMode;
  /** At-least-once: the slot a successful ack commits (null deletes a one-off). */
  readonly next: number | null;
  /** The next slot's jitter hold (jitter.ts holdUntil), kept by its commit or release; undefined: none. */
  readonly holdUntil?: number | undefined;
  /** Deliveries of this slot so far, this one included (the retry policy counts them). */
  readonly attempt: number;
  /** The slot delivered (its scheduled_at), when and why: the run its ack records. */
  readonly slot: number;
  readonly deliveredAt: number;
  readonly reason: ExecutionReason;
  /** At-least-once: its commit ends the instance's manual run (CommitItem.finishManual). */
  readonly finishManual: boolean;
  /** The task's history_limit when it was delivered. */
  readonly historyLimit: number;
  /** When the lease ends (clock ms); heartbeats move it. */
  expiresAt: number;
}

/**
 * Every lease delivered by this replica and not yet settled, by lease id. Adding and taking a
 * lease tell the credit ledger, which is what gives the stream its credit back; whoever takes
 * leases tells the ledger (CreditLedger.creditReturned) once its store work is done.
 */
export class LeaseTable {
  constructor(private readonly ledger: CreditLedger) {}

  private readonly leases = new Map<string, HeldLease>();
  /** A lower bound of every expiresAt, so a sweep scans only when something may have expired. */
  private earliest = Number.POSITIVE_INFINITY;
  private emptyWaiters: Array<() => void> = [];

  get size(): number {
    return this.leases.size;
  }

  /** The earliest lease end (a lower bound), or Infinity when none is held. */
  get earliestExpiry(): number {
    return this.leases.size === 0 ? Number.POSITIVE_INFINITY : this.earliest;
  }

  add(lease: HeldLease): void {
    this.leases.set(lease.id, lease);
    this.ledger.leaseAdded(lease.stream, lease.id);
    if (lease.expiresAt < this.earliest) this.earliest = lease.expiresAt;
  }

  get(id: string): HeldLease | undefined {
    return this.leases.get(id);
  }

  /** Moves a lease's end (a heartbeat). */
  setExpiry(lease: HeldLease, expiresAt: number): void {
    lease.expiresAt = expiresAt;
    if (expiresAt < this.earliest) this.earliest = expiresAt;
  }

  /** Removes and returns a lease, or undefined when this replica does not hold it. */
  take(id: string): HeldLease | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return undefined;
    this.remove(lease);
    return lease;
  }

  /** Removes and returns every lease whose end is before `now` (live while now <= its end, as in the stores). */
  takeExpired(now: number): HeldLease[] {
    if (now <= this.earliest) return [];
    const expired: HeldLease[] = [];
    let earliest = Number.POSITIVE_INFINITY;
    for (const lease of this.leases.values()) {
      if (lease.expiresAt < now) expired.push(lease);
      else if (lease.expiresAt < earliest) earliest = lease.expiresAt;
    }
    for (const lease of expired) this.remove(lease);
    this.earliest = earliest;
    return expired;
  }

  /** Removes and returns the leases `ids` (those of a closed stream) that are still held. */
  takeIds(ids: readonly string[]): HeldLease[] {
    const taken: HeldLease[] = [];
    for (const id of ids) {
      const lease = this.leases.get(id);
      if (lease !== undefined) taken.push(lease);
    }
    for (const lease of taken) this.remove(lease);
    return taken;
  }

  /** Puts a lease back (an ack the store did not confirm): it will be acked again or expire. */
  restore(lease: HeldLease): void {
    this.add(lease);
  }

  /** Removes and returns every lease. */
  takeAll(): HeldLease[] {
    const taken = [...this.leases.values()];
    for (const lease of taken) this.remove(lease);
    return taken;
  }

  /** Resolves when no lease is held (at once when none is). */
  whenEmpty(): Promise<void> {
    if (this.leases.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  private remove(lease: HeldLease): void {
    this.leases.delete(lease.id);
    this.ledger.leaseRemoved(lease.stream, lease.id);
    if (this.leases.size === 0) {
      this.earliest = Number.POSITIVE_INFINITY;
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
