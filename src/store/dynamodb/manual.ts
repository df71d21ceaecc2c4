import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { readyAt } from "../../domain/model.ts";
import type { ManualOutcome, ManualRunItem, ManualRunRequest } from "../store.ts";
import { manualRequested } from "../transitions.ts";
import { type Item, itemToInstance, key, manualValue, num, partitionKey } from "./codec.ts";
import { type DynamoContext, namesOf, WRITE_CONCURRENCY } from "./context.ts";
import { isConditionFailed } from "./errors.ts";
import { getInstance } from "./instances.ts";
import { mapLimit } from "./map-limit.ts";

/*
 * Store.requestManualRuns on DynamoDB (issue 14): read the item, decide with the shared rule
 * (transitions.ts manualRequested), and write what it decided under a condition that the item
 * is still the one read (incarnation, version, slot, lease end, no pause, the same manual run);
 * a refused write returns the item (ALL_OLD) and the rule is applied again to it.
 */

/** An armed run: the manual slot due at once, the scheduled one kept in `man.resume`. */
const ARM_UPDATE =
  "SET #next = :next, #locked = :zero, #owner = :empty, #ver = :newver, #man = :man, #ready = :next";
/** A queued run waits in `man` for the commit of the slot in flight. */
const QUEUE_UPDATE = "SET #man = :man";
const SAME_ITEM =
  "#inc = :inc AND #ver = :ver AND #next = :read AND #locked = :locked AND attribute_not_exists(#pat)";
const NO_MANUAL = " AND attribute_not_exists(#man)";
const SAME_MANUAL = " AND #man = :oldman";
/** Writes of one instance before a request that keeps meeting changes is UNAVAILABLE. */
const MAX_TRIES = 5;

/** Store.requestManualRuns. */
export function requestManualRuns(
  context: DynamoContext,
  request: ManualRunRequest,
): Promise<ManualOutcome[]> {
  return mapLimit(request.items, WRITE_CONCURRENCY, (item) => requestOne(context, request, item));
}

async function requestOne(
  context: DynamoContext,
  request: ManualRunRequest,
  item: ManualRunItem,
): Promise<ManualOutcome> {
  const { task, now } = request;
  const { ref } = item;
  let stored = await getInstance(context, task, ref.partition, ref.name);
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const result = manualRequested(stored, item, now);
    const next = result.instance;
    if (next === undefined || stored === undefined || next.manual === undefined) return result.outcome;
    const update = result.outcome === "accepted" ? ARM_UPDATE : QUEUE_UPDATE;
    const condition = SAME_ITEM + (stored.manual === undefined ? NO_MANUAL : SAME_MANUAL);
    const values: Item = {
      ":inc": num(stored.incarnation),
      ":ver": num(stored.version),
      ":read": num(stored.nextRunAt),
      ":locked": num(stored.lockedUntil),
      ":man": manualValue(next.manual),
      ...(stored.manual === undefined ? {} : { ":oldman": manualValue(stored.manual) }),
      ...(result.outcome === "accepted"
        ? { ":next": num(readyAt(next)), ":zero": num(0), ":empty": { S: "" }, ":newver": num(next.version) }
        : {}),
    };
    try {
      await context.client.send(
        new UpdateItemCommand({
          TableName: context.table,
          Key: key(partitionKey(context.namespace, task, ref.partition), ref.name),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesOf(update, condition),
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return result.outcome;
    } catch (thrown) {
      if (!isConditionFailed(thrown)) throw thrown;
      // Changed since read (claimed, committed, paused, removed): decide on what is there now.
      stored = thrown.Item === undefined ? undefined : itemToInstance(thrown.Item);
    }
  }
  throw new PartituraError(
    ErrorCode.Unavailable,
    `dynamodb: instance "${ref.name}" of task "${task}" kept changing under ${MAX_TRIES} trigger writes`,
  );
}
