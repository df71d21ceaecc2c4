import { ErrorCode, invalid, PartituraError } from "../domain/errors.ts";
import { decodeLeaseId } from "../domain/lease-id.ts";
import { MAX_EXTEND_MS } from "../domain/limits.ts";
import type { LeaseRef, LeaseStatus } from "../domain/model.ts";
import type { ExtendItem } from "../store/store.ts";
import type { EngineContext } from "./context.ts";
import type { ExtendInput } from "./delivery.ts";

/** One heartbeat's answer. */
export interface Heartbeat {
  readonly status: LeaseStatus;
  /** The new lease end when status is ok. */
  readonly lockedUntil?: number;
}

/**
 * Heartbeats: every lease id is decoded and every duration checked before anything changes;
 * then one store call extends them all (an unset duration means the task's lease duration).
 * The in-memory lease follows, so a heartbeat also keeps the execution's credit taken. Items
 * the store could not confirm ("unknown") fail the call with UNAVAILABLE once the confirmed
 * ones are applied: a heartbeat is safe to send again.
 */
export async function extendLeases(ctx: EngineContext, items: readonly ExtendInput[]): Promise<Heartbeat[]> {
  const refs: LeaseRef[] = items.map((item, i) => {
    const ref = decodeLeaseId(item.leaseId, `items[${i}].lease_id`);
    const ms = item.durationMs;
    if (ms !== undefined && !(ms > 0 && ms <= MAX_EXTEND_MS)) {
      throw invalid(`items[${i}].duration`, `must be positive and at most ${MAX_EXTEND_MS} ms`);
    }
    return ref;
  });
  const durations = await Promise.all(
    items.map(async (item, i) => {
      if (item.durationMs !== undefined) return item.durationMs;
      const task = await ctx.tasks.get((refs[i] as LeaseRef).task);
      return task?.leaseMs;
    }),
  );
  const results: Heartbeat[] = new Array(items.length);
  let unknown = 0;
  const batch: ExtendItem[] = [];
  const batchAt: number[] = [];
  durations.forEach((durationMs, i) => {
    // No duration means no task: its instances went with it.
    if (durationMs === undefined) results[i] = { status: "not_found" };
    else {
      batch.push({ lease: refs[i] as LeaseRef, durationMs });
      batchAt.push(i);
    }
  });
  const now = ctx.clock.now();
  const extended = batch.length > 0 ? await ctx.store.extendLeases(batch, now) : [];
  extended.forEach((result, k) => {
    const i = batchAt[k] as number;
    const status = result.status;
    if (status === "unknown") {
      unknown++;
      return;
    }
    results[i] = result.lockedUntil === undefined ? { status } : { status, lockedUntil: result.lockedUntil };
    const held = ctx.leases.get((items[i] as ExtendInput).leaseId);
    if (result.status === "ok" && held !== undefined && result.lockedUntil !== undefined) {
      ctx.leases.setExpiry(held, result.lockedUntil);
    }
  });
  if (unknown > 0) {
    throw new PartituraError(
      ErrorCode.Unavailable,
      `the store did not confirm ${unknown} heartbeats; retry them`,
    );
  }
  return results;
}
