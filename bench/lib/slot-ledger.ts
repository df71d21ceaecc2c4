import { decodeLeaseId } from "../../src/domain/lease-id.ts";

/*
 * The soak's ledger of every slot delivered. Instance `i<n>` of the load has its first slot at
 * `first(n)` and then one every `intervalMs`; under catch-up every slot is delivered in order,
 * one at a time per instance, so the ledger keeps only the next slot it expects of each
 * instance (a Float64Array, 8 bytes an instance, whatever the run's length) and counts what
 * breaks the sequence: a slot seen again (a redelivery, which at-least-once allows) or a slot
 * that jumps ahead (one skipped: a lost slot).
 */

const decoder = new TextDecoder();

/** What the ledger found at the end of a run. */
export interface LedgerReport {
  /** Slots delivered in sequence (each counted once). */
  readonly delivered: number;
  /** Deliveries of a slot already delivered (redeliveries after the cut and the restart). */
  readonly redelivered: number;
  /** Slots skipped: a later slot of the instance arrived first. */
  readonly skipped: number;
  /** Slots due at or before the cutoff that never arrived. */
  readonly missing: number;
  /** Deliveries whose lease id did not name an instance of the load. */
  readonly foreign: number;
}

/** Next expected slot per instance, and the counts of what broke the sequence. */
export class SlotLedger {
  readonly #expected: Float64Array;
  #delivered = 0;
  #redelivered = 0;
  #skipped = 0;
  #foreign = 0;

  constructor(
    count: number,
    first: (n: number) => number,
    private readonly intervalMs: number,
  ) {
    this.#expected = Float64Array.from({ length: count }, (_, n) => first(n));
  }

  /** Records one delivery of `slot` for the instance its lease id names. */
  record(slot: number, leaseId: Uint8Array): void {
    const name = decodeLeaseId(decoder.decode(leaseId)).name;
    const n = Number(name.slice(1));
    const expected = this.#expected[n];
    if (expected === undefined) {
      this.#foreign++;
      return;
    }
    if (slot < expected) {
      this.#redelivered++;
      return;
    }
    if (slot > expected) this.#skipped += Math.round((slot - expected) / this.intervalMs);
    this.#delivered++;
    this.#expected[n] = slot + this.intervalMs;
  }

  /** The counts, with the slots due at or before `cutoff` (epoch ms) that never arrived. */
  report(cutoff: number): LedgerReport {
    let missing = 0;
    for (const expected of this.#expected) {
      if (expected <= cutoff) missing += Math.floor((cutoff - expected) / this.intervalMs) + 1;
    }
    return {
      delivered: this.#delivered,
      redelivered: this.#redelivered,
      skipped: this.#skipped,
      missing,
      foreign: this.#foreign,
    };
  }
}
