import { CREDIT_WAKE_FANOUT } from "../domain/limits.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** Someone who draws credit from streams (a partition poller): told to look again when credit returns. */
export interface CreditWaiter {
  kick(): void;
}

/** Credit one stream promised to a claim in progress. */
export interface Grant {
  readonly stream: WorkerStream;
  /** Still reserved for this claim; each execution handed out moves one unit into a lease. */
  readonly remaining: number;
}

/** Credit reserved across a waiter's streams for one claim. */
export interface Reservation {
  readonly grants: readonly Grant[];
  readonly total: number;
}

interface HeldGrant {
  readonly stream: WorkerStream;
  remaining: number;
}

/** The ledger's state of one stream. Nothing outside this file sees or writes it. */
interface Account<W> {
  readonly stream: WorkerStream;
  readonly waiters: W[];
  /** Waiters with work due and no credit, in the order they started waiting (a queue). */
  readonly hungry: Set<W>;
  /** Lease ids delivered on this stream and not yet acked, released or expired. */
  readonly leases: Set<string>;
  /** Credit promised to claims in progress. */
  reserved: number;
  /** The stream's write buffer is full: no credit until it drains. */
  stalled: boolean;
}

const NO_STREAMS: readonly WorkerStream[] = [];

/**
 * The one owner of the stream-to-poller graph and of every stream's credit. A stream's credit
 * is `maxInFlight - leases - reserved` (zero while it is closed or stalled): delivered but
 * unacked executions count against it, and so do claims in progress on its behalf, so the
 * pollers of several partitions sharing one stream never together exceed it.
 *
 * Returning credit wakes hungry waiters one by one, at most as many as the credit returned
 * (and CREDIT_WAKE_FANOUT) — never every waiter of the stream: with 65,536 partitions on one
 * stream, waking them all after each empty claim made the cost grow with the square of the
 * partition count. Waiters that are not hungry sleep on their own timers.
 */
export class CreditLedger<W extends CreditWaiter = CreditWaiter> {
  private readonly accounts = new Map<WorkerStream, Account<W>>();
  private readonly subscriptions = new Map<W, WorkerStream[]>();
  private readonly grants = new WeakMap<Grant, HeldGrant>();

  /** Starts keeping a stream's credit. */
  open(stream: WorkerStream): void {
    this.accounts.set(stream, {
      stream,
      waiters: [],
      hungry: new Set(),
      leases: new Set(),
      reserved: 0,
      stalled: false,
    });
  }

  /**
   * Forgets a stream: it gets no credit any more. Returns the waiters that drew only from it
   * (the caller stops them) and the lease ids it still held.
   */
  close(stream: WorkerStream): { orphans: W[]; leases: string[] } {
    const account = this.accounts.get(stream);
    if (account === undefined) return { orphans: [], leases: [] };
    this.accounts.delete(stream);
    const orphans: W[] = [];
    for (const waiter of account.waiters) {
      const streams = this.subscriptions.get(waiter);
      if (streams === undefined) continue;
      const at = streams.indexOf(stream);
      if (at >= 0) streams.splice(at, 1);
      if (streams.length === 0) {
        this.subscriptions.delete(waiter);
        orphans.push(waiter);
      }
    }
    return { orphans, leases: [...account.leases] };
  }

  /** True while the stream is open. */
  isOpen(stream: WorkerStream): boolean {
    return this.accounts.has(stream);
  }

  /** Lets `waiter` draw credit from `stream`. */
  subscribe(stream: WorkerStream, waiter: W): void {
    const account = this.accounts.get(stream);
    if (account === undefined) return;
    account.waiters.push(waiter);
    const streams = this.subscriptions.get(waiter);
    if (streams === undefined) this.subscriptions.set(waiter, [stream]);
    else streams.push(stream);
  }

  /** The waiters drawing from `stream` (its partitions' pollers), in subscription order. */
  waitersOf(stream: WorkerStream): readonly W[] {
    return this.accounts.get(stream)?.waiters ?? [];
  }

  /** The streams `waiter` draws from. */
  streamsOf(waiter: W): readonly WorkerStream[] {
    return this.subscriptions.get(waiter) ?? NO_STREAMS;
  }

  /** How many more executions `stream` may be handed now. */
  available(stream: WorkerStream): number {
    const account = this.accounts.get(stream);
    return account === undefined ? 0 : this.credit(account);
  }

  /** True when any stream of `waiter` could take an execution now. */
  hasCredit(waiter: W): boolean {
    for (const stream of this.streamsOf(waiter)) if (this.available(stream) > 0) return true;
    return false;
  }

  /** `waiter` has work due but found no credit: queue it on each of its streams. */
  hungry(waiter: W): void {
    for (const stream of this.streamsOf(waiter)) this.accounts.get(stream)?.hungry.add(waiter);
  }

  /** `waiter` no longer waits for credit. */
  fed(waiter: W): void {
    for (const stream of this.streamsOf(waiter)) this.accounts.get(stream)?.hungry.delete(waiter);
  }

  /**
   * Reserves up to `limit` credit from the streams of `waiter`, starting at `start` (rotated
   * by the caller so no stream is always first). While other waiters of a stream are hungry, a
   * waiter takes only its share, so one busy partition cannot starve the others by reclaiming
   * every unit the moment an ack returns it.
   */
  reserve(waiter: W, limit: number, start: number): Reservation {
    const streams = this.streamsOf(waiter);
    const grants: Grant[] = [];
    let total = 0;
    const n = streams.length;
    for (let k = 0; k < n && total < limit; k++) {
      const account = this.accounts.get(streams[(start + k) % n] as WorkerStream);
      if (account === undefined) continue;
      const available = this.credit(account);
      const rivals = account.hungry.size - (account.hungry.has(waiter) ? 1 : 0);
      const share = rivals > 0 ? Math.ceil(available / (rivals + 1)) : available;
      const take = Math.min(share, limit - total);
      if (take <= 0) continue;
      account.reserved += take;
      const grant: HeldGrant = { stream: account.stream, remaining: take };
      this.grants.set(grant, grant);
      grants.push(grant);
      total += take;
    }
    return { grants, total };
  }

  /**
   * Takes one unit of a grant: the reservation turns into a lease on its stream, which the
   * lease table records through leaseAdded in the same synchronous step.
   */
  consume(grant: Grant): void {
    const held = this.grants.get(grant);
    if (held === undefined || held.remaining <= 0) return;
    held.remaining--;
    const account = this.accounts.get(grant.stream);
    if (account === undefined) return;
    account.reserved--;
  }

  /**
   * Gives back what a reservation still holds, once the claim's executions are out: credit a
   * claim did not use is credit hungry waiters of the stream may be waiting for.
   */
  unreserve(reservation: Reservation): void {
    for (const grant of reservation.grants) {
      const held = this.grants.get(grant);
      if (held === undefined || held.remaining === 0) continue;
      const account = this.accounts.get(grant.stream);
      if (account !== undefined) account.reserved -= held.remaining;
      held.remaining = 0;
      this.creditReturned(grant.stream);
    }
  }

  /** A lease on `stream` was recorded (outside a reservation: the lease table's own add). */
  leaseAdded(stream: WorkerStream, id: string): void {
    this.accounts.get(stream)?.leases.add(id);
  }

  /** A lease on `stream` was acked, released or expired: it no longer counts against it. */
  leaseRemoved(stream: WorkerStream, id: string): void {
    this.accounts.get(stream)?.leases.delete(id);
  }

  /**
   * The stream's write buffer is full: it gets no credit, so neither new claims nor the
   * redelivery of its own expired leases go to it, until `resumed`.
   */
  stalled(stream: WorkerStream): void {
    const account = this.accounts.get(stream);
    if (account !== undefined) account.stalled = true;
  }

  /** The stream drained: its credit counts again. */
  resumed(stream: WorkerStream): void {
    const account = this.accounts.get(stream);
    if (account === undefined || !account.stalled) return;
    account.stalled = false;
    this.creditReturned(stream);
  }

  /**
   * Credit came back to `stream`: wake hungry waiters in the order they queued, one per unit
   * of credit now free (bounded), each taken off the queue; a woken waiter that finds no credit
   * after all queues again at the back.
   */
  creditReturned(stream: WorkerStream): void {
    const account = this.accounts.get(stream);
    if (account === undefined) return;
    const budget = Math.min(this.credit(account), CREDIT_WAKE_FANOUT);
    if (budget <= 0 || account.hungry.size === 0) return;
    // Taken off the queue first: a woken waiter that still finds no credit queues again.
    const woken: W[] = [];
    for (const waiter of account.hungry) {
      if (woken.length >= budget) break;
      woken.push(waiter);
    }
    for (const waiter of woken) account.hungry.delete(waiter);
    for (const waiter of woken) waiter.kick();
  }

  private credit(account: Account<W>): number {
    if (account.stalled) return 0;
    return account.stream.maxInFlight - account.leases.size - account.reserved;
  }
}
