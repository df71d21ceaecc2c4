import { randomUUID } from "node:crypto";
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { TaskRecord } from "../../domain/model.ts";
import { type Item, itemToTask, key, num, tasksKey, taskToItem } from "./codec.ts";
import { type DynamoContext, namesOf, queryUpTo } from "./context.ts";
import { isConditionFailed } from "./errors.ts";
import { deletePartition, partitionHasItems } from "./instances.ts";
import { mapLimit } from "./map-limit.ts";

/*
 * Task definitions share one partition key per namespace, so listing them is one query in name
 * order. They are few and rarely written, so that key is never hot.
 */

/*
 * Every task item carries a generation `gen`: a random value set when the task is created and
 * kept when it is replaced, so a task deleted and created again has a new one. Each instance
 * write is a transaction that checks it (upsert.ts), so an upsert that read the task before a
 * DeleteTask can never land instances in the task created after it.
 */
const PUT = "SET #def = :def, #args = :args, #gen = if_not_exists(#gen, :gen)";

/*
 * A DeleteTask first turns the task item into a tombstone (`del` set, a new `gen`), sweeps the
 * instances, and only then deletes the item. While the tombstone stands the task reads as
 * absent, every upsert fails its generation check, and a PutTask of the same name is refused:
 * so no new task can be created whose instances a still-running sweep would delete, and a
 * sweep that died half way is found again by the next DeleteTask, which finishes it.
 */
const NOT_DELETING = "attribute_not_exists(#del)";
const MARK_DELETING = "SET #del = :now, #gen = :gen";
const MARKABLE = "attribute_exists(#pk) AND attribute_not_exists(#del)";
const IS_DELETING = "attribute_exists(#del)";

/** The refusal of a PutTask while a DeleteTask of the same name has not finished its sweep. */
function beingDeleted(name: string): PartituraError {
  return new PartituraError(
    ErrorCode.FailedPrecondition,
    `task ${name} is being deleted: a DeleteTask has not finished removing its instances; ` +
      "call DeleteTask again to finish it, then create the task",
  );
}

/** Creates or replaces a task definition; a replaced task keeps its generation. */
export async function putTask(context: DynamoContext, task: TaskRecord): Promise<void> {
  const item = taskToItem(context.namespace, task);
  try {
    await context.client.send(
      new UpdateItemCommand({
        TableName: context.table,
        Key: key(tasksKey(context.namespace), task.name),
        UpdateExpression: PUT,
        ConditionExpression: NOT_DELETING,
        ExpressionAttributeNames: namesOf(PUT, NOT_DELETING),
        ExpressionAttributeValues: {
          ":def": item.def as NonNullable<Item[string]>,
          ":args": item.args as NonNullable<Item[string]>,
          ":gen": { S: randomUUID() },
        },
      }),
    );
  } catch (thrown) {
    if (isConditionFailed(thrown)) throw beingDeleted(task.name);
    throw thrown;
  }
}

const ADOPT = "SET #gen = if_not_exists(#gen, :gen)";
const EXISTS = "attribute_exists(#pk)";

/**
 * The generation of a task, read consistently; NOT_FOUND when the task does not exist. A task
 * item written before generations existed is given one here, once.
 */
export async function taskGeneration(context: DynamoContext, name: string): Promise<string> {
  const tasksKeyOf = key(tasksKey(context.namespace), name);
  const answer = await context.client.send(
    new GetItemCommand({
      TableName: context.table,
      Key: tasksKeyOf,
      ConsistentRead: true,
      ProjectionExpression: "#pk, #gen, #del",
      ExpressionAttributeNames: namesOf("#pk, #gen, #del"),
    }),
  );
  if (answer.Item === undefined || answer.Item.del !== undefined) {
    throw new PartituraError(ErrorCode.NotFound, `task ${name} was deleted`);
  }
  const stored = answer.Item.gen?.S;
  if (stored !== undefined) return stored;
  try {
    const adopted = await context.client.send(
      new UpdateItemCommand({
        TableName: context.table,
        Key: tasksKeyOf,
        UpdateExpression: ADOPT,
        ConditionExpression: `${EXISTS} AND ${NOT_DELETING}`,
        ExpressionAttributeNames: namesOf(ADOPT, EXISTS, NOT_DELETING),
        ExpressionAttributeValues: { ":gen": { S: randomUUID() } },
        ReturnValues: "ALL_NEW",
      }),
    );
    const gen = adopted.Attributes?.gen?.S;
    if (gen === undefined) throw new PartituraError(ErrorCode.Internal, `dynamodb: task ${name} kept no gen`);
    return gen;
  } catch (thrown) {
    if (isConditionFailed(thrown)) throw new PartituraError(ErrorCode.NotFound, `task ${name} was deleted`);
    throw thrown;
  }
}

/** A stored task item, tombstone or not, read consistently. */
async function readTaskItem(context: DynamoContext, name: string): Promise<Item | undefined> {
  const answer = await context.client.send(
    new GetItemCommand({
      TableName: context.table,
      Key: key(tasksKey(context.namespace), name),
      ConsistentRead: true,
    }),
  );
  return answer.Item;
}

/** One task definition, read consistently; a task being deleted reads as absent. */
export async function getTask(context: DynamoContext, name: string): Promise<TaskRecord | undefined> {
  const item = await readTaskItem(context, name);
  return item === undefined || item.del !== undefined ? undefined : itemToTask(item);
}

/** Task definitions in name order (the sort key's order), after `afterName`. */
export async function listTasks(
  context: DynamoContext,
  limit: number,
  afterName: string | undefined,
): Promise<TaskRecord[]> {
  const condition = afterName === undefined ? "#pk = :pk" : "#pk = :pk AND #sk > :after";
  const values: Item = { ":pk": { S: tasksKey(context.namespace) } };
  if (afterName !== undefined) values[":after"] = { S: afterName };
  const items = await queryUpTo(
    context,
    {
      KeyConditionExpression: condition,
      FilterExpression: NOT_DELETING,
      ExpressionAttributeNames: namesOf(condition, NOT_DELETING),
      ExpressionAttributeValues: values,
    },
    limit,
  );
  return items.map(itemToTask);
}

/**
 * Deletes the task and its instances: marks the item a tombstone, sweeps every partition, then
 * deletes the item. True when there was a task, or a tombstone whose sweep this call finished
 * (a DeleteTask that died half way); false when there was neither.
 */
export async function deleteTask(context: DynamoContext, name: string): Promise<boolean> {
  const item = await readTaskItem(context, name);
  if (item === undefined) return false;
  /*
   * The tombstone first, the instances after: it takes a new generation, and every instance
   * write checks the generation in its transaction (upsert.ts), so one that committed before is
   * swept below and none commits after. Swept the other way round, a write landing between the
   * sweep and the delete would be an orphan.
   */
  if (item.del === undefined) {
    try {
      await context.client.send(
        new UpdateItemCommand({
          TableName: context.table,
          Key: key(tasksKey(context.namespace), name),
          UpdateExpression: MARK_DELETING,
          ConditionExpression: MARKABLE,
          ExpressionAttributeNames: namesOf(MARK_DELETING, MARKABLE),
          ExpressionAttributeValues: { ":now": num(Date.now()), ":gen": { S: randomUUID() } },
        }),
      );
    } catch (thrown) {
      // Another DeleteTask marked or removed it first: this one sweeps too, or finds nothing.
      if (!isConditionFailed(thrown)) throw thrown;
      if ((await readTaskItem(context, name)) === undefined) return false;
    }
  }
  const task = itemToTask(item);
  const partitions = Array.from({ length: task.partitionCount }, (_, partition) => partition);
  await mapLimit(partitions, 4, (partition) => deletePartition(context, name, partition));
  try {
    await context.client.send(
      new DeleteItemCommand({
        TableName: context.table,
        Key: key(tasksKey(context.namespace), name),
        ConditionExpression: IS_DELETING,
        ExpressionAttributeNames: namesOf(IS_DELETING),
      }),
    );
  } catch (thrown) {
    // A concurrent DeleteTask finished first; the sweep is done either way.
    if (!isConditionFailed(thrown)) throw thrown;
  }
  return true;
}

/** True when any partition of the task holds an instance. */
export async function hasInstances(context: DynamoContext, task: TaskRecord): Promise<boolean> {
  const partitions = Array.from({ length: task.partitionCount }, (_, partition) => partition);
  const found = await mapLimit(partitions, 16, (partition) =>
    partitionHasItems(context, task.name, partition),
  );
  return found.includes(true);
}
