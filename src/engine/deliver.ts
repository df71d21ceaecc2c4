import { toError } from "../domain/errors.ts";
import { deliveryAt } from "../domain/jitter.ts";
import { encodeLeaseId } from "../domain/lease-id.ts";
import { DEFAULT_HISTORY_LIMIT } from "../domain/limits.ts";
import type { ExecutionReason, InstanceRecord, LeaseRef, TaskRecord } from "../domain/model.ts";
import type { CommitItem, ReleaseItem } from "../store/store.ts";
import type { EngineContext } from "./context.ts";
import type { CreditLedger, Grant, Reservation } from "./credit-ledger.ts";
import type { Delivery } from "./delivery.ts";
import { planClaim } from "./plan.ts";
import { exhausted } from "./retries.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** A claimed slot ready to go out under the lease version it will carry. */
interface Ready {
  readonly record: InstanceRecord;
  readonly slot: number;
  readonly next: number | null;
  /** The next slot's jitter hold, undefined for none. */
  readonly holdUntil: number | undefined;
  readonly version: number;
  readonly reason: ExecutionReason;
  /** Its commit ends the instance's manual run (plan.ts planManual). */
  readonly finishManual: boolean;
}

/** The lease a claim left on `record`, at `version`. */
export function leaseOf(record: InstanceRecord, version = record.version): LeaseRef {
  return {
    task: record.task,
    partition: record.partition,
    name: record.name,
    version,
    incarnation: record.incarnation,
  };
}

/**
 * Turns claimed records into executions on the reserved streams. At-least-once slots go out
 * as claimed; their commit waits for the ack. At-most-once slots are committed first (the next
 * slot stored, the lease kept under a new version) and only delivered if that commit held, so
 * a crash after the commit loses the execution rather than running it twice. Slots the misfire
 * policy skips are committed without delivery. One commit call covers the whole claim.
 */
export async function deliverClaimed(
  ctx: EngineContext,
  task: TaskRecord,
  records: readonly InstanceRecord[],
  reservation: Reservation,
  now: number,
): Promise<void> {
  const ready: Ready[] = [];
  const commits: CommitItem[] = [];
  const planned: Ready[] = [];
  const parks: ReleaseItem[] = [];
  const retry = task.retry;
  for (const record of records) {
    let plan = planClaim(task, record, now);
    if (retry !== undefined && record.attempt > retry.maxAttempts) {
      // Its last attempts' leases expired unacknowledged (a worker died holding them): the
      // retry policy's end applies as after a failure, and this claim delivers nothing.
      const step = exhausted(retry, leaseOf(record), record.attempt - 1, LEASE_EXPIRED, now);
      ctx.retries(task.name, step.kind === "park" ? step.event : "continued", 1);
      if (step.kind === "park") {
        parks.push(step.item);
        continue;
      }
      // CONTINUE: the slot is given up, its next one committed undelivered.
      plan = { ...plan, deliver: null };
    }
    if (task.executionMode === "at_least_once" && plan.deliver !== null) {
      ready.push({
        record,
        slot: plan.deliver,
        next: plan.next,
        holdUntil: plan.holdUntil,
        version: record.version,
        reason: plan.reason,
        finishManual: plan.finishManual,
      });
      continue;
    }
    const keepLease = plan.deliver !== null;
    // A kept lease holds the instance until its release, which then applies the hold.
    commits.push({
      lease: leaseOf(record),
      nextRunAt: plan.next,
      keepLease,
      holdUntil: keepLease ? undefined : plan.holdUntil,
      // Nothing ran yet (at most once: the ack records the run) or nothing runs (skipped).
      run: undefined,
      finishManual: plan.finishManual,
    });
    planned.push({
      record,
      slot: plan.deliver ?? record.nextRunAt,
      next: plan.next,
      holdUntil: plan.holdUntil,
      version: record.version,
      reason: plan.reason,
      // The commit above ended it already: the kept lease's release has nothing more to end.
      finishManual: false,
    });
  }
  await handOut(ctx, task, ready, reservation, now);
  if (parks.length > 0) await settleQuietly(ctx, parks, now);
  if (commits.length === 0) return;

  const results = await ctx.store.commit(commits, now);
  const committed: Ready[] = [];
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    const item = planned[i] as Ready;
    if (result?.status !== "ok") {
      // Unscheduled or taken over between claim and commit: nothing of ours to deliver.
      ctx.logger.debug({ instance: item.record.name, status: result?.status }, "claimed slot not committed");
      continue;
    }
    if ((commits[i] as CommitItem).keepLease) {
      committed.push({ ...item, version: result.version ?? item.version });
    }
  }
  await handOut(ctx, task, committed, reservation, now);
}

/**
 * Hands executions out round-robin over the streams that reserved credit, so a small claim is
 * spread over workers instead of filling the first one. What no open stream can take any more
 * (a stream closed during the claim) is released at once, to be claimed again.
 */
async function handOut(
  ctx: EngineContext,
  task: TaskRecord,
  ready: readonly Ready[],
  reservation: Reservation,
  now: number,
): Promise<void> {
  if (ready.length === 0) return;
  const batches = new Map<WorkerStream, Delivery[]>();
  const orphans: ReleaseItem[] = [];
  const grants = reservation.grants;
  let cursor = 0;
  for (const item of ready) {
    const grant = nextGrant(ctx.credit, grants, cursor);
    const lease = leaseOf(item.record, item.version);
    if (grant === undefined) {
      orphans.push({ lease });
      continue;
    }
    cursor = grants.indexOf(grant) + 1;
    const id = encodeLeaseId(lease);
    ctx.credit.consume(grant);
    const record = item.record;
    const reason = item.reason;
    ctx.leases.add({
      id,
      ref: lease,
      stream: grant.stream,
      mode: task.executionMode,
      next: item.next,
      holdUntil: item.holdUntil,
      attempt: record.attempt,
      slot: item.slot,
      deliveredAt: now,
      reason,
      finishManual: item.finishManual,
      historyLimit: task.historyLimit ?? DEFAULT_HISTORY_LIMIT,
      expiresAt: record.lockedUntil,
    });
    const schedule = record.schedule;
    const delivery: Delivery = {
      leaseId: id,
      task: record.task,
      instance: record.name,
      partition: record.partition,
      scheduledAt: item.slot,
      dueAt:
        schedule.jitterMs === undefined
          ? undefined
          : deliveryAt({ task: record.task, instance: record.name }, schedule, item.slot),
      leaseExpiresAt: record.lockedUntil,
      defaultArgs: task.defaultArgs,
      args: record.args,
      attempt: record.attempt,
      reason,
    };
    const batch = batches.get(grant.stream);
    if (batch === undefined) batches.set(grant.stream, [delivery]);
    else batch.push(delivery);
  }
  // A stream whose buffer filled gets no more credit until it drains (StreamHandle.drained).
  for (const [stream, batch] of batches) if (!stream.send(batch)) ctx.credit.stalled(stream);
  if (orphans.length > 0) await releaseOrphans(ctx, orphans);
}

/** The first grant from `cursor` on (wrapping) with credit left on an open stream. */
function nextGrant(ledger: CreditLedger, grants: readonly Grant[], cursor: number): Grant | undefined {
  const n = grants.length;
  for (let k = 0; k < n; k++) {
    const grant = grants[(cursor + k) % n] as Grant;
    if (grant.remaining > 0 && ledger.isOpen(grant.stream)) return grant;
  }
  return undefined;
}

/** What a dead-lettered or paused note says when the last attempt's lease expired. */
const LEASE_EXPIRED = "the lease of the last attempt expired unacknowledged";

/** Parks exhausted instances; a failure leaves their leases to expire and be claimed again. */
async function settleQuietly(ctx: EngineContext, items: readonly ReleaseItem[], now: number): Promise<void> {
  try {
    await ctx.store.release(items, now);
  } catch (thrown) {
    ctx.logger.error({ err: toError(thrown), count: items.length }, "could not park exhausted instances");
  }
}

async function releaseOrphans(ctx: EngineContext, items: readonly ReleaseItem[]): Promise<void> {
  const now = ctx.clock.now();
  try {
    await ctx.store.release(items, now);
  } catch (thrown) {
    // The leases then simply expire; say so, since redelivery is delayed by a lease duration.
    ctx.logger.error({ err: toError(thrown), count: items.length }, "could not release undeliverable leases");
    return;
  }
  const first = items[0] as ReleaseItem;
  ctx.wake(first.lease.task, first.lease.partition, now);
}
