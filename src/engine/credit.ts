import type { PartitionPoller } from "./poller.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** Credit one stream promised to a claim in progress. */
export interface Grant {
  readonly stream: WorkerStream;
  /** Still reserved for this claim; each execution handed out moves one unit into a lease. */
  remaining: number;
}

/** Credit reserved across a poller's streams for one claim. */
export interface Reservation {
  readonly grants: Grant[];
  readonly total: number;
}

/**
 * Reserves up to `limit` credit from `streams` for `poller`, starting at `start` (rotated by
 * the caller so no stream is always first). The claim then asks the store for at most `total`
 * executions, which is how a poller never claims what it cannot deliver.
 *
 * A stream feeding several partitions shares its credit fairly: while other pollers of it are
 * hungry (work due, no credit), a poller takes only its share, so one busy partition cannot
 * starve the others by reclaiming every unit the moment an ack returns it.
 */
export function reserve(
  streams: readonly WorkerStream[],
  limit: number,
  start: number,
  poller?: PartitionPoller,
): Reservation {
  const grants: Grant[] = [];
  let total = 0;
  const n = streams.length;
  for (let k = 0; k < n && total < limit; k++) {
    const stream = streams[(start + k) % n] as WorkerStream;
    const rivals = stream.hungry.size - (poller !== undefined && stream.hungry.has(poller) ? 1 : 0);
    const share = rivals > 0 ? Math.ceil(stream.available / (rivals + 1)) : stream.available;
    const take = Math.min(share, limit - total);
    if (take <= 0 || stream.closed) continue;
    stream.reserved += take;
    grants.push({ stream, remaining: take });
    total += take;
  }
  return { grants, total };
}

/** Takes one unit of a grant: it becomes a lease on the stream. */
export function consume(grant: Grant): void {
  grant.remaining--;
  grant.stream.reserved--;
}

/**
 * Gives back what a reservation still holds, once the claim's executions are out. Credit a
 * claim did not use is credit other pollers of the stream may be waiting for: tell them.
 */
export function unreserve(reservation: Reservation): void {
  for (const grant of reservation.grants) {
    if (grant.remaining === 0) continue;
    grant.stream.reserved -= grant.remaining;
    grant.remaining = 0;
    grant.stream.creditReturned();
  }
}

/** True when any stream could take an execution now. */
export function hasCredit(streams: readonly WorkerStream[]): boolean {
  for (const stream of streams) if (!stream.closed && stream.available > 0) return true;
  return false;
}
