import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import {
  type InstanceRecord,
  type LeaseRef,
  type LeaseStatus,
  type ManualRun,
  readyAt,
} from "../../domain/model.ts";
import { appendRun } from "../run-codec.ts";
import type { CommitItem, CommitResult, ExtendItem, ExtendResult, ReleaseItem, RunWrite } from "../store.ts";
import { committed, leaseStatus } from "../transitions.ts";
import { type Item, itemToInstance, key, manualValue, num, partitionKey } from "./codec.ts";
import { type DynamoContext, namesOf } from "./context.ts";
import { isConditionFailed } from "./errors.ts";

/*
 * Commit, release and heartbeat are each one conditional write on the instance item, fenced by
 * the lease: the incarnation and version must be the lease's and the lease must not have
 * expired (LEASE_CONDITION). A refused write returns the item as
 * it was (ReturnValuesOnConditionCheckFailure ALL_OLD), which tells NOT_FOUND from LEASE_LOST
 * without a second read.
 *
 * DynamoDB's update expressions have no max(), yet `ready` must be max(next, locked). Where the
 * stored operand is unknown, the write guesses the likely branch under a guard (say
 * `next <= :locked`); when only the guard failed, the returned item says which branch holds
 * and the write is sent again. At one version `next` never changes, so the second try settles
 * it; `locked` can move by a heartbeat, hence a small bound rather than two.
 *
 * A paused instance (issue 14) has no `ready` (codec.ts), and a lease write must not give it
 * one: a write first assumes the instance is active (guard ACTIVE); refused because it is
 * paused, it is sent again without its `ready` part (guard PAUSED). So an execution in flight
 * when its instance was paused commits, and the instance stays out of the ready index.
 */

/**
 * The fence of every lease write: the lease's incarnation and version, and a lease still live
 * (leaseStatus: live while now <= lockedUntil; test/store-redis-layout.test.ts checks they agree).
 */
export const LEASE_CONDITION = "#inc = :inc AND #ver = :ver AND #locked >= :now";
const MAX_TRIES = 4;

const ACTIVE = "attribute_not_exists(#pat)";
const PAUSED = "attribute_exists(#pat)";

/**
 * One conditional write, or a delete. An update is `SET sets[, ready] [ADD add]`; `ready`
 * (with its own guard) is left out when the instance is paused.
 */
type Write =
  | {
      readonly kind: "update";
      readonly sets: string;
      /**
       * How an active item's `ready` changes: set (with its own guard), or removed when the
       * write parks the instance, which then also gains the pause attributes `park` sets.
       */
      readonly ready: { readonly set: string; readonly guard?: string } | { readonly park: string };
      readonly add?: string;
      /** One more condition on the item (the commit's: which manual run it carries). */
      readonly guard?: string;
      readonly values: Item;
    }
  | { readonly kind: "delete" };

/** The update expression, condition and values of `write` on an item paused or not. */
function expressionOf(write: Extract<Write, { kind: "update" }>, paused: boolean, fence: Item) {
  const ready = write.ready;
  const parks = !paused && "park" in ready;
  let sets = write.sets;
  if (!paused) sets = "park" in ready ? `${sets}, ${ready.park}` : `${sets}, ${ready.set}`;
  const update = `SET ${sets}${parks ? " REMOVE #ready" : ""}${write.add === undefined ? "" : ` ADD ${write.add}`}`;
  const guards = [LEASE_CONDITION, paused ? PAUSED : ACTIVE];
  if (!paused && "guard" in ready && ready.guard !== undefined) guards.push(ready.guard);
  if (write.guard !== undefined) guards.push(write.guard);
  const condition = guards.join(" AND ");
  // DynamoDB refuses values an expression does not use; the paused form uses fewer.
  const used = new Set([...`${update} ${condition}`.matchAll(/:\w+/g)].map((match) => match[0]));
  const values = Object.fromEntries(
    Object.entries({ ...fence, ...write.values }).filter(([name]) => used.has(name)),
  );
  return { update, condition, values };
}

/** Sends the write `choose` picks (given the item a refused try returned) until settled. */
async function fenced(
  context: DynamoContext,
  lease: LeaseRef,
  now: number,
  choose: (stored: InstanceRecord | undefined) => Write,
): Promise<{ status: LeaseStatus; attributes?: Item }> {
  const itemKey = key(partitionKey(context.namespace, lease.task, lease.partition), lease.name);
  const fence: Item = { ":inc": num(lease.incarnation), ":ver": num(lease.version), ":now": num(now) };
  let stored: InstanceRecord | undefined;
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const write = choose(stored);
    try {
      if (write.kind === "delete") {
        await context.client.send(
          new DeleteItemCommand({
            TableName: context.table,
            Key: itemKey,
            ConditionExpression: LEASE_CONDITION,
            ExpressionAttributeNames: namesOf(LEASE_CONDITION),
            ExpressionAttributeValues: fence,
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return { status: "ok" };
      }
      const { update, condition, values } = expressionOf(write, stored?.paused !== undefined, fence);
      const answer = await context.client.send(
        new UpdateItemCommand({
          TableName: context.table,
          Key: itemKey,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesOf(update, condition),
          ExpressionAttributeValues: values,
          ReturnValues: "UPDATED_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return answer.Attributes === undefined
        ? { status: "ok" }
        : { status: "ok", attributes: answer.Attributes };
    } catch (thrown) {
      if (!isConditionFailed(thrown)) throw thrown;
      stored = thrown.Item === undefined ? undefined : itemToInstance(thrown.Item);
      const status = leaseStatus(stored, lease, now);
      if (status !== "ok") return { status };
      // Only a guard failed (the ready branch, or paused or not): choose again knowing the item.
    }
  }
  throw new PartituraError(
    ErrorCode.Unavailable,
    `dynamodb: instance "${lease.name}" of task "${lease.task}" kept changing under ${MAX_TRIES} fenced writes`,
  );
}

/**
 * `ready` = max(`:value`, the stored attribute `other`): the guard picks the branch, guessing
 * that `:value` is the larger until a refused write returned the stored one.
 */
function readyMax(value: number, other: "next" | "locked", stored: number | undefined) {
  return stored === undefined || stored <= value
    ? { set: "#ready = :value", guard: `#${other} <= :value` }
    : { set: `#ready = #${other}`, guard: `#${other} > :value` };
}

/**
 * The run history after `run` (run-codec.ts), read from the item first: DynamoDB's update
 * expressions cannot trim a list, so the value is rewritten whole. The write that carries it is
 * fenced by the lease's version, which no other write of the item passes meanwhile, so no run
 * recorded between this read and that write can be lost.
 */
async function historyAfter(context: DynamoContext, lease: LeaseRef, run: RunWrite): Promise<Item> {
  const answer = await context.client.send(
    new GetItemCommand({
      TableName: context.table,
      Key: key(partitionKey(context.namespace, lease.task, lease.partition), lease.name),
      ConsistentRead: true,
      ProjectionExpression: "#runs",
      ExpressionAttributeNames: { "#runs": "runs" },
    }),
  );
  return { ":runs": { B: appendRun(answer.Item?.runs?.B, run.record, run.limit) } };
}

/** `sets` and `values` with the run history written too, when the item carries a run. */
async function withRun(
  context: DynamoContext,
  lease: LeaseRef,
  run: RunWrite | undefined,
  sets: string,
  values: Item,
): Promise<{ sets: string; values: Item }> {
  if (run === undefined) return { sets, values };
  return {
    sets: `${sets}, #runs = :runs`,
    values: { ...values, ...(await historyAfter(context, lease, run)) },
  };
}

/** A commit's first guess: the item carries no manual run (a refusal returns it if it does). */
const NO_MANUAL = "attribute_not_exists(#man)";

/** Settles one lease: next slot (optionally keeping the lease) or delete. */
export async function commitOne(
  context: DynamoContext,
  item: CommitItem,
  now: number,
): Promise<CommitResult> {
  const { lease, nextRunAt } = item;
  // A one-off that ran is deleted, and its run history with it.
  if (nextRunAt === null) return fenced(context, lease, now, () => ({ kind: "delete" }));
  const values: Item = { ":next": num(nextRunAt), ":zero": num(0), ":one": num(1) };
  // Read before the first try: the write that carries it is fenced, so it cannot go stale.
  const history = item.run === undefined ? undefined : await historyAfter(context, lease, item.run);
  const runSets = history === undefined ? "" : ", #runs = :runs";
  if (item.keepLease !== true) {
    // A jitter hold is later than the slot (jitter.ts), so it is the ready time when set.
    const hold = item.holdUntil;
    const sets =
      (hold === undefined
        ? "#next = :next, #locked = :zero, #owner = :empty, #att = :zero"
        : "#next = :next, #locked = :hold, #owner = :empty, #att = :zero") + runSets;
    const settled = await fenced(context, lease, now, (stored) =>
      stored?.manual !== undefined
        ? manualCommit(stored, item, nextRunAt, runSets, history)
        : {
            kind: "update",
            sets,
            ready: { set: hold === undefined ? "#ready = :next" : "#ready = :hold" },
            add: "#ver :one",
            guard: NO_MANUAL,
            values: {
              ...values,
              ...history,
              ":empty": { S: "" },
              ...(hold === undefined ? {} : { ":hold": num(hold) }),
            },
          },
    );
    return { status: settled.status };
  }
  // At-most-once: the slot advances but the lease stays, so ready = max(next, locked).
  const settled = await fenced(context, lease, now, (stored) =>
    stored?.manual !== undefined
      ? manualCommit(stored, item, nextRunAt, runSets, history)
      : {
          kind: "update",
          sets: `#next = :next, #att = :zero${runSets}`,
          ready: readyMax(nextRunAt, "locked", stored?.lockedUntil),
          add: "#ver :one",
          guard: NO_MANUAL,
          values: { ...values, ...history, ":value": num(nextRunAt) },
        },
  );
  const version = settled.attributes?.ver?.N;
  return version === undefined
    ? { status: settled.status }
    : { status: settled.status, version: Number(version) };
}

/**
 * The commit of an item that carries a manual run (issue 14): the shared rule
 * (transitions.ts committed) decides from the item as read, since a queued run may be armed
 * now, and the write applies under the condition that the run is still the one read.
 */
function manualCommit(
  stored: InstanceRecord,
  item: CommitItem,
  nextRunAt: number,
  runSets: string,
  history: Item | undefined,
): Write {
  const next = committed(
    stored,
    nextRunAt,
    item.keepLease === true,
    item.holdUntil,
    item.finishManual === true,
  );
  return {
    kind: "update",
    sets: `#next = :next, #locked = :locked, #owner = :owner, #att = :zero, #man = :man${runSets}`,
    ready: { set: "#ready = :ready" },
    add: "#ver :one",
    guard: "#man = :oldman",
    values: {
      ...history,
      ":next": num(next.nextRunAt),
      ":locked": num(next.lockedUntil),
      ":owner": { S: next.leaseOwner },
      ":zero": num(0),
      ":one": num(1),
      ":man": manualValue(next.manual as ManualRun),
      ":oldman": manualValue(stored.manual as ManualRun),
      ":ready": num(readyAt(next)),
    },
  };
}

/** Gives one lease up; the instance is ready at max(next, retryAt ?? 0), or parked (item.park). */
export async function releaseOne(
  context: DynamoContext,
  item: ReleaseItem,
  now: number,
): Promise<LeaseStatus> {
  const park = item.park;
  if (park !== undefined) {
    /*
     * A retry policy ran out: unlocked, attempt 0, out of the ready index with the pause
     * attributes. One paused while the execution was in flight (the PAUSED form) keeps its pause.
     */
    const parked = await withRun(
      context,
      item.lease,
      item.run,
      "#locked = :zero, #owner = :empty, #att = :zero",
      {
        ":zero": num(0),
        ":empty": { S: "" },
        ":one": num(1),
        ":at": num(park.at),
        ":note": { S: park.note },
        ":dlq": { BOOL: true },
      },
    );
    const status = await fenced(context, item.lease, now, () => ({
      kind: "update",
      sets: parked.sets,
      ready: {
        park: park.deadLettered ? "#pat = :at, #pnote = :note, #dlq = :dlq" : "#pat = :at, #pnote = :note",
      },
      add: "#ver :one",
      values: parked.values,
    }));
    return status.status;
  }
  const retryAt = item.retryAt ?? 0;
  const write = await withRun(context, item.lease, item.run, "#locked = :retry, #owner = :empty", {
    ":retry": num(retryAt),
    ":empty": { S: "" },
    ":one": num(1),
  });
  const settled = await fenced(context, item.lease, now, (stored) => {
    if (item.retryAt === undefined) {
      return {
        kind: "update",
        sets: write.sets,
        ready: { set: "#ready = #next" },
        add: "#ver :one",
        values: write.values,
      };
    }
    return {
      kind: "update",
      sets: write.sets,
      ready: readyMax(retryAt, "next", stored?.nextRunAt),
      add: "#ver :one",
      values: { ...write.values, ":value": num(retryAt) },
    };
  });
  return settled.status;
}

/** Extends one live lease to now + durationMs; the version stays. */
export async function extendOne(
  context: DynamoContext,
  item: ExtendItem,
  now: number,
): Promise<ExtendResult> {
  const lockedUntil = now + item.durationMs;
  const settled = await fenced(context, item.lease, now, (stored) => {
    return {
      kind: "update",
      sets: "#locked = :value",
      ready: readyMax(lockedUntil, "next", stored?.nextRunAt),
      values: { ":value": num(lockedUntil) },
    };
  });
  return settled.status === "ok" ? { status: "ok", lockedUntil } : { status: settled.status };
}
