import { ErrorCode, PartituraError } from "../domain/errors.ts";
import { holdUntil } from "../domain/jitter.ts";
import { decodeLeaseId } from "../domain/lease-id.ts";
import { DEFAULT_HISTORY_LIMIT } from "../domain/limits.ts";
import type {
  ExecutionReason,
  InstanceRecord,
  LeaseRef,
  LeaseStatus,
  RunRecord,
  TaskRecord,
} from "../domain/model.ts";
import type { BatchStatus, CommitItem, ReleaseItem, RunWrite } from "../store/store.ts";
import { leaseStatus } from "../store/transitions.ts";
import type { EngineContext } from "./context.ts";
import type { AckInput } from "./delivery.ts";
import type { HeldLease } from "./lease-table.ts";
import { type ExecutionOutcome, tallyOutcomes } from "./outcomes.ts";
import { planAfterAck } from "./plan.ts";
import { afterFailure, type RetryStep } from "./retries.ts";
import type { WorkerStream } from "./worker-stream.ts";

/** What one ack does to the store. */
type Action =
  | { readonly kind: "commit"; readonly item: CommitItem }
  /** `wakeAt`: when the released instance is next ready, to wake its poller (undefined: parked). */
  | { readonly kind: "release"; readonly item: ReleaseItem; readonly wakeAt: number | undefined }
  /** Failure mode NONE: touch nothing, only report whether the lease still holds. */
  | { readonly kind: "check"; readonly lease: LeaseRef }
  | { readonly kind: "done"; readonly status: LeaseStatus };

/**
 * Settles acknowledgements. Every lease id is decoded first (a malformed one refuses the whole
 * request, naming `items[i].lease_id`, before anything changes); then all commits go to the
 * store in one call and all releases in another. A lease this replica delivered is settled from
 * memory, with no read; one it did not deliver (acked through another replica, or acked a second
 * time) costs a read of its instance. A second ack of a settled lease finds the version moved on
 * and gets LEASE_LOST, which is harmless.
 *
 * What the store cannot confirm is kept: when a commit or release comes back "unknown" for an
 * item (or the store call throws), the held lease goes back into the lease table, to be acked
 * again or to expire, and the call fails with UNAVAILABLE; items the store did settle stay
 * settled (a retry of those gets LEASE_LOST).
 */
export async function settleAcks(ctx: EngineContext, items: readonly AckInput[]): Promise<LeaseStatus[]> {
  // A lease id this replica holds was issued here and needs no parsing; any other must parse.
  const refs = new Array<LeaseRef | undefined>(items.length);
  for (let i = 0; i < items.length; i++) {
    const id = (items[i] as AckInput).leaseId;
    if (ctx.leases.get(id) === undefined) refs[i] = decodeLeaseId(id, `items[${i}].lease_id`);
  }
  const now = ctx.clock.now();
  const touched = new Set<WorkerStream>();
  try {
    /*
     * The common case, a held lease acked as a success, is settled here without a promise per
     * item; only acks that need the task definition or a store read wait for them.
     */
    const actions = new Array<Action>(items.length);
    const heldAt = new Array<HeldLease | undefined>(items.length);
    const waits: Promise<void>[] = [];
    let lastStream: WorkerStream | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as AckInput;
      const held = ctx.leases.take(item.leaseId);
      if (held === undefined) {
        // Acked twice in one request: the second finds the lease taken, and parses its id now.
        const ref = refs[i] ?? decodeLeaseId(item.leaseId, `items[${i}].lease_id`);
        refs[i] = ref;
        waits.push(
          unknownAction(ctx, ref, item, now).then((action) => {
            actions[i] = action;
          }),
        );
        continue;
      }
      heldAt[i] = held;
      if (held.stream !== lastStream) {
        lastStream = held.stream;
        touched.add(held.stream);
      }
      const action = heldAction(held, item, now);
      if (action !== undefined) {
        actions[i] = action;
        continue;
      }
      waits.push(
        failedAction(ctx, held, item, now).then((failed) => {
          actions[i] = failed;
        }),
      );
    }
    let statuses: BatchStatus[];
    try {
      if (waits.length > 0) await Promise.all(waits);
      statuses = await apply(ctx, actions, now);
    } catch (thrown) {
      // Nothing is known of any item: keep every lease this call took.
      for (const held of heldAt) if (held !== undefined) ctx.leases.restore(held);
      throw new PartituraError(
        ErrorCode.Unavailable,
        `the store did not confirm ${items.length} acks; retry them`,
        {
          cause: thrown,
        },
      );
    }
    const settled = new Array<LeaseStatus>(statuses.length);
    let unknown = 0;
    statuses.forEach((status, i) => {
      if (status !== "unknown") {
        settled[i] = status;
        return;
      }
      unknown++;
      const held = heldAt[i];
      if (held !== undefined) ctx.leases.restore(held);
    });
    tallyOutcomes(ctx.outcomes, items.length, {
      // Every item has a held lease or a parsed ref by now.
      task: (i) => heldAt[i]?.ref.task ?? (refs[i] as LeaseRef).task,
      outcome: (i) => outcomeOf(settled[i], (items[i] as AckInput).failed),
    });
    if (unknown > 0) {
      throw new PartituraError(
        ErrorCode.Unavailable,
        `the store did not confirm ${unknown} acks; retry them`,
      );
    }
    return settled;
  } finally {
    // The acked executions no longer count against their streams: let the pollers claim more.
    for (const stream of touched) ctx.credit.creditReturned(stream);
  }
}

/** What a settled ack means for the executions metric; undefined while it is not settled. */
function outcomeOf(status: LeaseStatus | undefined, failed: boolean): ExecutionOutcome | undefined {
  if (status === "ok") return failed ? "failure" : "success";
  return status;
}

/** A held lease's action when it needs no task definition; undefined for a failure that does. */
function heldAction(held: HeldLease, item: AckInput, now: number): Action | undefined {
  if (held.mode === "at_most_once") {
    // A one-off was deleted when it was delivered: its ack has nothing left to settle.
    if (held.next === null) return { kind: "done", status: "ok" };
    return releaseTo(held.ref, held.next, held.holdUntil, heldRun(held, item, now));
  }
  if (!item.failed) {
    const run = heldRun(held, item, now);
    return { kind: "commit", item: commitTo(held.ref, held.next, held.holdUntil, run, held.finishManual) };
  }
  return undefined;
}

/**
 * The run an ack of a lease this replica delivered settles, for the run history; undefined
 * when the task keeps none (history_limit 0 records nothing, not even the counters, so an
 * instance of such a task costs no byte more: issue 14's memory bound).
 */
function heldRun(held: HeldLease, item: AckInput, now: number): RunWrite | undefined {
  if (held.historyLimit === 0) return undefined;
  const record: RunRecord = {
    slot: held.slot,
    deliveredAt: held.deliveredAt,
    finishedAt: now,
    attempt: held.attempt,
    worker: held.stream.workerId,
    outcome: item.failed ? "failure" : "success",
    reason: held.reason,
    error: item.failed ? (item.error ?? "") : "",
  };
  return { record, limit: held.historyLimit };
}

/**
 * The run an ack of a lease another replica delivered settles, read back from the instance as
 * the claim left it: its slot, attempt and owner (the replica, not the worker), and the claim's
 * time as the delivery's (a heartbeat moves it later), and why it ran as its plan says.
 */
function storedRun(
  task: TaskRecord,
  instance: InstanceRecord,
  reason: ExecutionReason,
  item: AckInput,
  now: number,
): RunWrite | undefined {
  const limit = task.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (limit === 0) return undefined;
  const record: RunRecord = {
    slot: instance.nextRunAt,
    deliveredAt: instance.lockedUntil - task.leaseMs,
    finishedAt: now,
    attempt: instance.attempt,
    worker: instance.leaseOwner,
    outcome: item.failed ? "failure" : "success",
    reason,
    error: item.failed ? (item.error ?? "") : "",
  };
  return { record, limit };
}

/**
 * A commit of `lease` to slot `next`, held until `hold` when its jitter asks (jitter.ts);
 * `finishManual` when the slot was the last of a manual run.
 */
function commitTo(
  lease: LeaseRef,
  next: number | null,
  hold: number | undefined,
  run: RunWrite | undefined,
  finishManual = false,
): CommitItem {
  // Every key written, as deliver.ts writes its commits: one shape for the store's hot path.
  return { lease, nextRunAt: next, keepLease: false, holdUntil: hold, run, finishManual };
}

/** At-most-once: the kept lease given up; the next slot (already stored) waits for its hold. */
function releaseTo(
  lease: LeaseRef,
  next: number,
  hold: number | undefined,
  run: RunWrite | undefined,
): Action {
  return hold === undefined
    ? { kind: "release", item: { lease, run }, wakeAt: next }
    : { kind: "release", item: { lease, retryAt: hold, run }, wakeAt: hold };
}

/** A failed at-least-once execution of a held lease: the task's failure mode decides. */
async function failedAction(
  ctx: EngineContext,
  held: HeldLease,
  item: AckInput,
  now: number,
): Promise<Action> {
  const task = await ctx.tasks.get(held.ref.task);
  if (task === undefined) return { kind: "done", status: "not_found" };
  const run = heldRun(held, item, now);
  if (task.retry !== undefined) {
    const step = afterFailure(task.retry, held.ref, held.attempt, item.error ?? "", item.retryAfterMs, now);
    return retryAction(ctx, step, commitTo(held.ref, held.next, held.holdUntil, run, held.finishManual));
  }
  switch (task.failureMode) {
    case "none":
      // Nothing is written (the lease runs out), so nothing is recorded either.
      return { kind: "check", lease: held.ref };
    case "unlock":
      return unlock(held.ref, item, now, run);
    case "commit":
      return { kind: "commit", item: commitTo(held.ref, held.next, held.holdUntil, run, held.finishManual) };
  }
}

async function unknownAction(
  ctx: EngineContext,
  lease: LeaseRef,
  item: AckInput,
  now: number,
): Promise<Action> {
  const task = await ctx.tasks.get(lease.task);
  if (task === undefined) return { kind: "done", status: "not_found" };
  const retrying = item.failed && task.retry !== undefined && task.executionMode === "at_least_once";
  if (item.failed && !retrying && task.failureMode === "unlock" && task.executionMode === "at_least_once") {
    // Released unread, so its run is not recorded: the slot and attempt would need a read.
    return unlock(lease, item, now, undefined);
  }
  if (item.failed && !retrying && task.failureMode === "none" && task.executionMode === "at_least_once") {
    return { kind: "check", lease };
  }
  // The next slot (and its jitter) has to be read back from the instance.
  const instance = await ctx.store.getInstance(lease.task, lease.partition, lease.name);
  const status = leaseStatus(instance, lease, now);
  if (instance === undefined || status !== "ok") {
    // At most once, a lost lease was released anyway before (as ever): report what is known.
    return { kind: "done", status };
  }
  if (task.executionMode === "at_most_once") {
    // The delivery's commit already stored the next slot: release to its jitter hold.
    // Its delivered slot is no longer stored (the delivery moved it on): no run to record.
    const key = { task: lease.task, instance: lease.name };
    return releaseTo(
      lease,
      instance.nextRunAt,
      holdUntil(key, instance.schedule, instance.nextRunAt),
      undefined,
    );
  }
  const plan = planAfterAck(task, instance);
  const commit = commitTo(
    lease,
    plan.next,
    plan.holdUntil,
    storedRun(task, instance, plan.reason, item, now),
    plan.finishManual,
  );
  if (retrying && task.retry !== undefined) {
    const step = afterFailure(task.retry, lease, instance.attempt, item.error ?? "", item.retryAfterMs, now);
    return retryAction(ctx, step, commit);
  }
  return { kind: "commit", item: commit };
}

/** The action of a retry policy's step; `commit` is what giving the slot up commits. */
function retryAction(ctx: EngineContext, step: RetryStep, commit: CommitItem): Action {
  switch (step.kind) {
    case "retry":
      ctx.retries(commit.lease.task, "retried", 1);
      return { kind: "release", item: { ...step.item, run: commit.run }, wakeAt: step.wakeAt };
    case "park":
      ctx.retries(commit.lease.task, step.event, 1);
      return { kind: "release", item: { ...step.item, run: commit.run }, wakeAt: undefined };
    case "continue":
      ctx.retries(commit.lease.task, "continued", 1);
      return { kind: "commit", item: commit };
  }
}

/** Failure mode UNLOCK: ready again at once, or after the ack's retry_after. */
function unlock(lease: LeaseRef, item: AckInput, now: number, run: RunWrite | undefined): Action {
  const wait = item.retryAfterMs;
  if (wait === undefined || wait <= 0) return { kind: "release", item: { lease, run }, wakeAt: now };
  return { kind: "release", item: { lease, retryAt: now + wait, run }, wakeAt: now + wait };
}

/** Whether a lease still holds, without changing it (failure mode NONE). */
async function check(ctx: EngineContext, lease: LeaseRef, now: number): Promise<LeaseStatus> {
  // The same rule the stores apply (a lease is live while now <= lockedUntil).
  return leaseStatus(await ctx.store.getInstance(lease.task, lease.partition, lease.name), lease, now);
}

async function apply(ctx: EngineContext, actions: readonly Action[], now: number): Promise<BatchStatus[]> {
  const statuses: BatchStatus[] = new Array(actions.length);
  const commits: CommitItem[] = [];
  const commitAt: number[] = [];
  const releases: ReleaseItem[] = [];
  const releaseAt: number[] = [];
  const wakeAt: (number | undefined)[] = [];
  const checks: Promise<void>[] = [];
  actions.forEach((action, i) => {
    switch (action.kind) {
      case "commit":
        commits.push(action.item);
        commitAt.push(i);
        return;
      case "release":
        releases.push(action.item);
        releaseAt.push(i);
        wakeAt.push(action.wakeAt);
        return;
      case "check":
        checks.push(
          check(ctx, action.lease, now).then((status) => {
            statuses[i] = status;
          }),
        );
        return;
      case "done":
        statuses[i] = action.status;
        return;
    }
  });
  const [committed, released] = await Promise.all([
    commits.length > 0 ? ctx.store.commit(commits, now) : [],
    releases.length > 0 ? ctx.store.release(releases, now) : [],
    Promise.all(checks),
  ]);
  committed.forEach((result, k) => {
    const item = commits[k] as CommitItem;
    statuses[commitAt[k] as number] = result.status;
    // The next slot may be sooner than the poller's sleep (a catch-up slot already in the past).
    if (result.status === "ok" && item.nextRunAt !== null) {
      ctx.wake(item.lease.task, item.lease.partition, item.holdUntil ?? item.nextRunAt);
    }
  });
  released.forEach((status, k) => {
    const item = releases[k] as ReleaseItem;
    statuses[releaseAt[k] as number] = status;
    const at = wakeAt[k];
    if (status === "ok" && at !== undefined) ctx.wake(item.lease.task, item.lease.partition, at);
  });
  return statuses;
}
