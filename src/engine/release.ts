import { toError } from "../domain/errors.ts";
import type { ReleaseItem } from "../store/store.ts";
import type { EngineContext } from "./context.ts";
import type { HeldLease } from "./lease-table.ts";
import { tallyLeases } from "./outcomes.ts";
import type { WorkerStream } from "./worker-stream.ts";

/**
 * Gives leases back in one store call (a closed stream, a shutdown) so their instances are
 * ready again at once: at-least-once slots are redelivered immediately, at-most-once instances
 * (already moved to their next slot) simply unlock. Failures are logged, not thrown: the
 * leases then expire after their duration, which only delays redelivery.
 */
export async function releaseLeases(ctx: EngineContext, leases: readonly HeldLease[]): Promise<void> {
  // Delivered and never acked: whatever the store answers, the worker did not finish them.
  tallyLeases(ctx.outcomes, leases, "released");
  // A one-off delivered at most once was deleted on delivery: nothing to give back.
  const live = leases.filter((lease) => lease.mode === "at_least_once" || lease.next !== null);
  if (live.length === 0) return;
  // An at-most-once instance already moved to its next slot: its jitter still holds it.
  const items: ReleaseItem[] = live.map((lease) =>
    lease.mode === "at_most_once" && lease.holdUntil !== undefined
      ? { lease: lease.ref, retryAt: lease.holdUntil }
      : { lease: lease.ref },
  );
  const now = ctx.clock.now();
  let statuses: string[];
  try {
    statuses = await ctx.store.release(items, now);
  } catch (thrown) {
    ctx.logger.error(
      { err: toError(thrown), count: items.length },
      "could not release leases; they will expire",
    );
    return;
  }
  const streams = new Set<WorkerStream>();
  live.forEach((lease, i) => {
    streams.add(lease.stream);
    if (statuses[i] !== "ok") return;
    // An at-most-once instance already moved on: it is ready at its next slot, not now.
    const readyAt =
      lease.mode === "at_most_once" && lease.next !== null ? (lease.holdUntil ?? lease.next) : now;
    ctx.wake(lease.ref.task, lease.ref.partition, readyAt);
  });
  for (const stream of streams) ctx.credit.creditReturned(stream);
}
