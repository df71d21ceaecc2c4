import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { readyAt } from "../../domain/model.ts";
import type { InstanceRef, PauseOutcome, PauseRequest, ResumeRequest, ResumeResult } from "../store.ts";
import { resumedInstance } from "../transitions.ts";
import { type Item, itemToInstance, key, manualValue, num, partitionKey } from "./codec.ts";
import { type DynamoContext, namesOf, WRITE_CONCURRENCY } from "./context.ts";
import { isConditionFailed } from "./errors.ts";
import { getInstance } from "./instances.ts";
import { mapLimit } from "./map-limit.ts";

/*
 * Store.pauseInstances and resumeInstances on DynamoDB (issue 14): one conditional UpdateItem
 * per instance. A pause sets `pat` and `pnote` and removes `ready`, which takes the item out of
 * the sparse ready index; a resume does the reverse. A refused write returns the item as it
 * was (ALL_OLD), which tells the outcome without a second read.
 */

const PAUSE_UPDATE = "SET #pat = :at, #pnote = :note REMOVE #ready";
const PAUSE_CONDITION = "attribute_exists(#pk) AND attribute_not_exists(#pat)";
const RESUME_UPDATE = "SET #next = :next, #ready = :ready REMOVE #pat, #pnote, #dlq";
/** A resume to a new slot its jitter holds: the hold, no owner, and the version bumped. */
const RESUME_HELD_UPDATE =
  "SET #next = :next, #ready = :ready, #locked = :hold, #owner = :empty REMOVE #pat, #pnote, #dlq ADD #ver :one";
/**
 * The resume computed from the item as read still applies: paused (a plain pause, or a dead
 * letter for a requeue or discard), same slot, same lease end.
 */
const RESUME_CONDITION = "attribute_exists(#pat) AND #inc = :inc AND #next = :read AND #locked = :locked";
const PLAIN_PAUSE = " AND attribute_not_exists(#dlq)";
const DEAD_LETTER = " AND attribute_exists(#dlq)";
/** Writes of one instance before a resume that keeps meeting changes is UNAVAILABLE. */
const MAX_TRIES = 5;

/** Store.pauseInstances. */
export function pauseInstances(context: DynamoContext, request: PauseRequest): Promise<PauseOutcome[]> {
  return mapLimit(request.refs, WRITE_CONCURRENCY, (ref) => pauseOne(context, request, ref));
}

async function pauseOne(
  context: DynamoContext,
  request: PauseRequest,
  ref: InstanceRef,
): Promise<PauseOutcome> {
  try {
    await context.client.send(
      new UpdateItemCommand({
        TableName: context.table,
        Key: key(partitionKey(context.namespace, request.task, ref.partition), ref.name),
        UpdateExpression: PAUSE_UPDATE,
        ConditionExpression: PAUSE_CONDITION,
        ExpressionAttributeNames: namesOf(PAUSE_UPDATE, PAUSE_CONDITION),
        ExpressionAttributeValues: { ":at": num(request.now), ":note": { S: request.note } },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return "paused";
  } catch (thrown) {
    if (!isConditionFailed(thrown)) throw thrown;
    return thrown.Item === undefined ? "not_found" : "already_paused";
  }
}

/** Store.resumeInstances. */
export function resumeInstances(context: DynamoContext, request: ResumeRequest): Promise<ResumeResult[]> {
  return mapLimit(request.refs, WRITE_CONCURRENCY, (ref) => resumeOne(context, request, ref));
}

async function resumeOne(
  context: DynamoContext,
  request: ResumeRequest,
  ref: InstanceRef,
): Promise<ResumeResult> {
  const { task, skipMissed, now } = request;
  const deadLettered = request.deadLettered === true;
  const condition = RESUME_CONDITION + (deadLettered ? DEAD_LETTER : PLAIN_PAUSE);
  let stored = await getInstance(context, task, ref.partition, ref.name);
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const result = resumedInstance(stored, skipMissed, now, deadLettered);
    if (result.instance === undefined || stored === undefined) return { outcome: result.outcome };
    const ready = readyAt(result.instance);
    // A new slot's jitter hold (transitions.ts resumedInstance) comes with a version bump.
    const held = result.instance.lockedUntil !== stored.lockedUntil;
    // Skipping ends an armed manual run (transitions.ts resumedInstance): `man` is rewritten.
    const manual = result.instance.manual;
    const ends = manual !== undefined && manual !== stored.manual;
    const base = held ? RESUME_HELD_UPDATE : RESUME_UPDATE;
    const update = ends ? base.replace("SET ", "SET #man = :man, ") : base;
    const values: Item = {
      ":next": num(result.instance.nextRunAt),
      ":ready": num(ready),
      ":inc": num(stored.incarnation),
      ":read": num(stored.nextRunAt),
      ":locked": num(stored.lockedUntil),
      ...(held ? { ":hold": num(result.instance.lockedUntil), ":empty": { S: "" }, ":one": num(1) } : {}),
      ...(ends ? { ":man": manualValue(manual) } : {}),
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
      return { outcome: "resumed", readyAt: ready };
    } catch (thrown) {
      if (!isConditionFailed(thrown)) throw thrown;
      // Changed since read (resumed, a commit or heartbeat, removed): decide on what is there now.
      stored = thrown.Item === undefined ? undefined : itemToInstance(thrown.Item);
    }
  }
  throw new PartituraError(
    ErrorCode.Unavailable,
    `dynamodb: instance "${ref.name}" of task "${task}" kept changing under ${MAX_TRIES} resume writes`,
  );
}
