import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Execution } from "../../gen/ts/partitura/v1/execution_service_pb.ts";

/**
 * Most slots a Worker remembers as done while their acks are unconfirmed (the server away);
 * past it the oldest are forgotten and may run again when redelivered (at-least-once).
 */
const REMEMBERED_SLOTS = 10_000;
/** A success is remembered at least this long (a server restart can take a while). */
const REMEMBER_MIN_MS = 60_000;

/** The slot an execution is for: one instance's one scheduled time, whatever its lease. */
export function slotOf(execution: Execution): string {
  const at = execution.scheduledAt ? timestampMs(execution.scheduledAt) : 0;
  return `${execution.partition}\u0000${execution.instance}\u0000${at}`;
}

interface Done {
  readonly slot: string;
  readonly attempt: number;
  readonly forgetAt: number;
}

/*
 * Why a Worker must know its slots. The server releases a stream's unacked leases the moment
 * the stream closes, so that a vanished worker's executions run elsewhere at once. A stream
 * that was only cut (a dropped connection, the worker alive) gets the same treatment: its
 * executions come back on the reconnected stream, with a new lease and a higher attempt,
 * while this Worker still runs them, or after it ran them but before its ack got through.
 * Running them again would be a duplicate no lease expiry explains. So a redelivery of a slot
 * running here takes over the new lease (the run goes on and acks it), and one of a slot that
 * succeeded here and whose ack the server has not confirmed is acked at once without running.
 * Only a higher attempt counts as a redelivery: an instance made again gets attempt 1.
 */

/** The slots a Worker runs now (`T`: its running record) and those it finished unconfirmed. */
export class SlotIndex<T> {
  private readonly running = new Map<string, { readonly value: T; attempt: number }>();
  /** Succeeded here, ack not yet confirmed: slot -> lease id acked, and lease id -> entry. */
  private readonly done = new Map<string, string>();
  private readonly unconfirmed = new Map<string, Done>();

  /** A run of the same slot at a lower attempt, if this delivery is its redelivery. */
  runningFor(execution: Execution): T | undefined {
    const entry = this.running.get(slotOf(execution));
    return entry !== undefined && entry.attempt < execution.attempt ? entry.value : undefined;
  }

  /**
   * Whether this delivery redelivers a slot that succeeded here (its ack unconfirmed); if so
   * the memory moves to the new lease, which the caller acks as a success at once.
   */
  succeededBefore(execution: Execution, now: number): boolean {
    if (this.unconfirmed.size > 0) this.forgetExpired(now);
    const slot = slotOf(execution);
    const leaseId = this.done.get(slot);
    const entry = leaseId === undefined ? undefined : this.unconfirmed.get(leaseId);
    if (leaseId === undefined || entry === undefined || entry.attempt >= execution.attempt) return false;
    this.unconfirmed.delete(leaseId);
    this.done.set(slot, execution.leaseId);
    this.unconfirmed.set(execution.leaseId, { ...entry, attempt: execution.attempt });
    return true;
  }

  /** `execution` now runs as `value` (first delivery, or a taken-over lease). */
  start(execution: Execution, value: T): void {
    this.running.set(slotOf(execution), { value, attempt: execution.attempt });
  }

  /**
   * The run of `execution` ended (acked under its current lease). A success is remembered
   * until the server confirms the ack, or until a redelivery of this lease would long have
   * come: one lease life after it expired, and at least REMEMBER_MIN_MS.
   */
  finish(
    execution: Execution,
    succeeded: boolean,
    lease: { readonly expiresAt: number; readonly leaseMs: number; readonly now: number },
  ): void {
    const slot = slotOf(execution);
    this.running.delete(slot);
    if (!succeeded) return;
    const previous = this.done.get(slot);
    if (previous !== undefined) this.unconfirmed.delete(previous);
    this.done.set(slot, execution.leaseId);
    this.unconfirmed.set(execution.leaseId, {
      slot,
      attempt: execution.attempt,
      forgetAt: Math.max(lease.expiresAt + lease.leaseMs, lease.now + REMEMBER_MIN_MS),
    });
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [leaseId, entry] of this.unconfirmed) {
      if (this.unconfirmed.size <= REMEMBERED_SLOTS) break;
      this.forget(leaseId, entry);
    }
  }

  /** The server settled this lease's ack: the slot is committed and cannot come back. */
  confirmed(leaseId: string): void {
    const entry = this.unconfirmed.get(leaseId);
    if (entry !== undefined) this.forget(leaseId, entry);
  }

  private forgetExpired(now: number): void {
    for (const [leaseId, entry] of this.unconfirmed) if (entry.forgetAt <= now) this.forget(leaseId, entry);
  }

  private forget(leaseId: string, entry: Done): void {
    this.unconfirmed.delete(leaseId);
    if (this.done.get(entry.slot) === leaseId) this.done.delete(entry.slot);
  }
}
