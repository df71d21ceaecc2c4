import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { newIncarnation } from "../../domain/incarnation.ts";
import type { InstanceDraft, InstanceRecord, TaskRecord } from "../../domain/model.ts";
import type { UpsertMode, UpsertResult } from "../store.ts";
import { upserted } from "../transitions.ts";
import { type Item, instanceToItem, itemToInstance, num } from "./codec.ts";
import { type DynamoContext, namesOf } from "./context.ts";
import { isConditionFailed } from "./errors.ts";

/*
 * An upsert is optimistic: it first puts the draft as a new instance, on condition that none
 * exists. Most upserts create, so that is one write; when the instance exists, the refused
 * write returns it (ALL_OLD), the rule of upserted() merges the draft into it, and the result
 * is put on condition that the fields the merge read are still as read. A concurrent change
 * (a claim bumps the version, a heartbeat moves `locked`) refuses it and the merge runs again
 * on what the refusal returned, a bounded number of times.
 */

const CREATE = "attribute_not_exists(#pk)";
const UNCHANGED = "#inc = :inc AND #ver = :ver AND #next = :next AND #locked = :locked";
const MAX_TRIES = 5;

function conditionFor(existing: InstanceRecord | undefined) {
  if (existing === undefined)
    return { ConditionExpression: CREATE, ExpressionAttributeNames: namesOf(CREATE) };
  const values: Item = {
    ":inc": num(existing.incarnation),
    ":ver": num(existing.version),
    ":next": num(existing.nextRunAt),
    ":locked": num(existing.lockedUntil),
  };
  return {
    ConditionExpression: UNCHANGED,
    ExpressionAttributeNames: namesOf(UNCHANGED),
    ExpressionAttributeValues: values,
  };
}

/** Upserts one draft atomically (see the contract in store.ts). */
export async function upsertOne(
  context: DynamoContext,
  task: TaskRecord,
  draft: InstanceDraft,
  mode: UpsertMode,
  now: number,
): Promise<UpsertResult> {
  let existing: InstanceRecord | undefined;
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const result = upserted(task, existing, draft, mode, now, newIncarnation);
    if (result.outcome === "locked") return result;
    try {
      await context.client.send(
        new PutItemCommand({
          TableName: context.table,
          Item: instanceToItem(context.namespace, result.instance),
          ...conditionFor(existing),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return result;
    } catch (thrown) {
      if (!isConditionFailed(thrown)) throw thrown;
      // Absent Item: it was removed meanwhile, so the next try creates it again.
      existing = thrown.Item === undefined ? undefined : itemToInstance(thrown.Item);
    }
  }
  throw new PartituraError(
    ErrorCode.Unavailable,
    `dynamodb: instance "${draft.name}" of task "${task.name}" kept changing under ${MAX_TRIES} upserts`,
  );
}
