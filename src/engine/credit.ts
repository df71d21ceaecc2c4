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
 * Reserves up to `limit` credit from `streams`, starting at `start` (rotated by the caller so
 * no stream is always first). The claim then asks the store for at most `total` executions,
 * which is how a poller never claims what it cannot deliver.
 */
export function reserve(streams: readonly WorkerStream[], limit: number, start: number): Reservation {
  const grants: Grant[] = [];
  let total = 0;
  const n = streams.length;
  for (let k = 0; k < n && total < limit; k++) {
    const stream = streams[(start + k) % n] as WorkerStream;
    const take = Math.min(stream.available, limit - total);
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

/** Gives back what a reservation still holds; called once the claim's executions are out. */
export function unreserve(reservation: Reservation): void {
  for (const grant of reservation.grants) {
    grant.stream.reserved -= grant.remaining;
    grant.remaining = 0;
  }
}

/** True when any stream could take an execution now. */
export function hasCredit(streams: readonly WorkerStream[]): boolean {
  for (const stream of streams) if (!stream.closed && stream.available > 0) return true;
  return false;
}
