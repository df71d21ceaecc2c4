import {
  type AttributeValue,
  type CancellationReason,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { newIncarnation } from "../../domain/incarnation.ts";
import { DYNAMODB_UPSERT_BYTES, DYNAMODB_UPSERT_WRITES } from "../../domain/limits.ts";
import type { InstanceDraft, InstanceRecord, TaskRecord } from "../../domain/model.ts";
import type { UpsertMode, UpsertResult } from "../store.ts";
import { upserted } from "../transitions.ts";
import { type Item, instanceToItem, itemToInstance, key, num, tasksKey } from "./codec.ts";
import { type DynamoContext, namesOf } from "./context.ts";
import { mapLimit } from "./map-limit.ts";
import { taskGeneration } from "./tasks.ts";

/*
 * An upsert batch runs as transactions of one ConditionCheck on the task item (its generation
 * is still the one read at the start) and up to 99 instance puts. So an instance is written
 * only while its task exists in the generation the batch saw: a DeleteTask, or a DeleteTask
 * and a PutTask creating the task again, that commits first cancels the transaction, and the
 * batch answers NOT_FOUND as the other stores do; nothing of it needs taking back, even when
 * the server dies half way.
 *
 * Each put is optimistic, as a single-item write would be: it creates on condition that no
 * instance exists; when one does, its cancellation reason returns it (ALL_OLD), the rule of
 * upserted() merges the draft into it, and the result is put on condition that the fields the
 * merge read are still as read. A concurrent change (a claim bumps the version, a heartbeat
 * moves `locked`) refuses it and the merge runs again, a bounded number of times.
 */

const CREATE = "attribute_not_exists(#pk)";
const UNCHANGED = "#inc = :inc AND #ver = :ver AND #next = :next AND #locked = :locked";
/** The merge read the pause state too: a pause or resume in between refuses the put. */
const STILL_PAUSED = "attribute_exists(#pat)";
const STILL_ACTIVE = "attribute_not_exists(#pat)";
const SAME_GENERATION = "#gen = :gen";
/** Merges one instance may go through before the batch gives up as UNAVAILABLE. */
const MAX_MERGES = 5;
/** Transactions cancelled by a conflict (another transaction on an item) before giving up. */
const MAX_CONFLICTS = 8;
/** Transactions of one batch in flight; they all check the one task item. */
const TRANSACTIONS_IN_FLIGHT = 4;
/** What an instance item holds besides its args, in bytes, for the transaction size bound. */
const ITEM_OVERHEAD_BYTES = 1_024;

function conditionFor(existing: InstanceRecord | undefined) {
  if (existing === undefined)
    return { ConditionExpression: CREATE, ExpressionAttributeNames: namesOf(CREATE) };
  const values: Item = {
    ":inc": num(existing.incarnation),
    ":ver": num(existing.version),
    ":next": num(existing.nextRunAt),
    ":locked": num(existing.lockedUntil),
  };
  const condition = `${UNCHANGED} AND ${existing.paused === undefined ? STILL_ACTIVE : STILL_PAUSED}`;
  return {
    ConditionExpression: condition,
    ExpressionAttributeNames: namesOf(condition),
    ExpressionAttributeValues: values,
  };
}

/** One draft on its way: the stored instance its merge reads, and the merges so far. */
interface Pending {
  readonly index: number;
  readonly draft: InstanceDraft;
  existing: InstanceRecord | undefined;
  /**
   * The stored item's run history (its `runs` attribute, run-codec.ts), carried into the Put
   * that replaces the item so an upsert never loses it; the version in the condition makes
   * sure no commit added a run since it was read.
   */
  runs: AttributeValue | undefined;
  merges: number;
}

/**
 * Splits the drafts into transactions of one partition each, in input order within it: at
 * most 99 writes and about 3 MB each, and one write of an item each (DynamoDB refuses two
 * actions on one item in a transaction; the engine refuses a duplicate name before it gets
 * here, but the contract does not). One partition a transaction is what makes a crash
 * legible: a partition that got at most 99 drafts of the batch has all of them or none, and a
 * larger one has whole runs of 99 (its 1st to 99th draft, 100th to 198th, ...) or none of each.
 */
function chunksOf(drafts: readonly InstanceDraft[]): Pending[][] {
  const byPartition = new Map<number, Pending[]>();
  drafts.forEach((draft, index) => {
    let list = byPartition.get(draft.partition);
    if (list === undefined) {
      list = [];
      byPartition.set(draft.partition, list);
    }
    list.push({ index, draft, existing: undefined, runs: undefined, merges: 0 });
  });
  const chunks: Pending[][] = [];
  for (const list of byPartition.values()) {
    let chunk: Pending[] = [];
    let bytes = 0;
    let names = new Set<string>();
    for (const pending of list) {
      const size = pending.draft.args.byteLength + ITEM_OVERHEAD_BYTES;
      const full = chunk.length === DYNAMODB_UPSERT_WRITES || bytes + size > DYNAMODB_UPSERT_BYTES;
      if (chunk.length > 0 && (full || names.has(pending.draft.name))) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
        names = new Set();
      }
      chunk.push(pending);
      bytes += size;
      names.add(pending.draft.name);
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}

/** The ConditionCheck that the task still exists in generation `gen`. */
function generationCheck(context: DynamoContext, task: string, gen: string): TransactWriteItem {
  return {
    ConditionCheck: {
      TableName: context.table,
      Key: key(tasksKey(context.namespace), task),
      ConditionExpression: SAME_GENERATION,
      ExpressionAttributeNames: namesOf(SAME_GENERATION),
      ExpressionAttributeValues: { ":gen": { S: gen } },
    },
  };
}

function unavailable(message: string): PartituraError {
  return new PartituraError(ErrorCode.Unavailable, `dynamodb: ${message}`);
}

/** The pause before sending a transaction again after a conflict: 20, 40, 80 ... ms, jittered. */
function conflictPause(conflicts: number): Promise<void> {
  const ms = Math.min(20 * 2 ** conflicts, 1_000) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes one chunk, filling `results` at the drafts' indexes. Throws NOT_FOUND when the task is
 * gone or created anew since `gen` was read.
 */
async function upsertChunk(
  context: DynamoContext,
  request: { task: TaskRecord; gen: string; mode: UpsertMode; now: number },
  chunk: Pending[],
  results: UpsertResult[],
): Promise<void> {
  const { task, gen, mode, now } = request;
  let pending = chunk;
  let conflicts = 0;
  while (pending.length > 0) {
    const writes: { pending: Pending; result: UpsertResult }[] = [];
    for (const item of pending) {
      const result = upserted(task, item.existing, item.draft, mode, now, newIncarnation);
      results[item.index] = result;
      if (result.outcome !== "locked") writes.push({ pending: item, result });
    }
    if (writes.length === 0) return;
    const items: TransactWriteItem[] = [generationCheck(context, task.name, gen)];
    for (const { pending: item, result } of writes) {
      items.push({
        Put: {
          TableName: context.table,
          Item: {
            ...instanceToItem(context.namespace, result.instance),
            ...(item.runs === undefined ? {} : { runs: item.runs }),
          },
          ...conditionFor(item.existing),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      });
    }
    let reasons: CancellationReason[];
    try {
      await context.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return;
    } catch (thrown) {
      if (!(thrown instanceof TransactionCanceledException)) throw thrown;
      reasons = thrown.CancellationReasons ?? [];
    }
    const codes = reasons.map((reason) => reason.Code ?? "None");
    if (codes[0] === "ConditionalCheckFailed") {
      throw new PartituraError(ErrorCode.NotFound, `task ${task.name} was deleted`);
    }
    const refused = new Set<Pending>();
    writes.forEach(({ pending: item }, i) => {
      const reason = reasons[i + 1];
      if (reason?.Code !== "ConditionalCheckFailed") return;
      // Absent Item: it was removed meanwhile, so the next try creates it again.
      item.existing = reason.Item === undefined ? undefined : itemToInstance(reason.Item);
      item.runs = reason.Item?.runs;
      item.merges++;
      if (item.merges >= MAX_MERGES) {
        throw unavailable(
          `instance "${item.draft.name}" of task "${task.name}" kept changing under ${MAX_MERGES} upserts`,
        );
      }
      refused.add(item);
    });
    const other = codes.find(
      (code) => !["None", "ConditionalCheckFailed", "TransactionConflict"].includes(code),
    );
    if (other !== undefined) throw unavailable(`an upsert transaction was cancelled: ${other}`);
    if (refused.size === 0) {
      // Only conflicts with another transaction on one of its items: the same writes again.
      if (++conflicts > MAX_CONFLICTS)
        throw unavailable(`upsert transactions kept conflicting (${task.name})`);
      await conflictPause(conflicts);
    }
    // The whole transaction was rolled back: every write goes again, the refused ones re-merged.
    pending = writes.map(({ pending: item }) => item);
  }
}

/** Upserts a batch (see the contract in store.ts), all of it or, per chunk, none of it. */
export async function upsertBatch(
  context: DynamoContext,
  task: TaskRecord,
  drafts: readonly InstanceDraft[],
  mode: UpsertMode,
  now: number,
): Promise<UpsertResult[]> {
  if (drafts.length === 0) return [];
  const gen = await taskGeneration(context, task.name);
  const results = new Array<UpsertResult>(drafts.length);
  await mapLimit(chunksOf(drafts), TRANSACTIONS_IN_FLIGHT, (chunk) =>
    upsertChunk(context, { task, gen, mode, now }, chunk, results),
  );
  return results;
}
