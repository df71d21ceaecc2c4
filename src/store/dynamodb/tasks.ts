import { randomUUID } from "node:crypto";
import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { TaskRecord } from "../../domain/model.ts";
import { type Item, itemToTask, key, tasksKey, taskToItem } from "./codec.ts";
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

/** Creates or replaces a task definition; a replaced task keeps its generation. */
export async function putTask(context: DynamoContext, task: TaskRecord): Promise<void> {
  const item = taskToItem(context.namespace, task);
  await context.client.send(
    new UpdateItemCommand({
      TableName: context.table,
      Key: key(tasksKey(context.namespace), task.name),
      UpdateExpression: PUT,
      ExpressionAttributeNames: namesOf(PUT),
      ExpressionAttributeValues: {
        ":def": item.def as NonNullable<Item[string]>,
        ":args": item.args as NonNullable<Item[string]>,
        ":gen": { S: randomUUID() },
      },
    }),
  );
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
      ProjectionExpression: "#pk, #gen",
      ExpressionAttributeNames: namesOf("#pk, #gen"),
    }),
  );
  if (answer.Item === undefined) throw new PartituraError(ErrorCode.NotFound, `task ${name} was deleted`);
  const stored = answer.Item.gen?.S;
  if (stored !== undefined) return stored;
  try {
    const adopted = await context.client.send(
      new UpdateItemCommand({
        TableName: context.table,
        Key: tasksKeyOf,
        UpdateExpression: ADOPT,
        ConditionExpression: EXISTS,
        ExpressionAttributeNames: namesOf(ADOPT, EXISTS),
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

/** One task definition, read consistently. */
export async function getTask(context: DynamoContext, name: string): Promise<TaskRecord | undefined> {
  const answer = await context.client.send(
    new GetItemCommand({
      TableName: context.table,
      Key: key(tasksKey(context.namespace), name),
      ConsistentRead: true,
    }),
  );
  return answer.Item === undefined ? undefined : itemToTask(answer.Item);
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
      ExpressionAttributeNames: namesOf(condition),
      ExpressionAttributeValues: values,
    },
    limit,
  );
  return items.map(itemToTask);
}

/**
 * Deletes the task, then sweeps its instances from every partition; false when there was no
 * task.
 */
export async function deleteTask(context: DynamoContext, name: string): Promise<boolean> {
  const task = await getTask(context, name);
  if (task === undefined) return false;
  /*
   * The definition first, the instances after: every instance write checks the task's
   * generation in its transaction (upsert.ts), so one that committed before this delete is
   * swept below and none commits after it, not even into a task created again meanwhile (a
   * new generation). Swept the other way round, a write landing between the sweep and the
   * delete would be an orphan. The cost: a sweep that fails half way leaves instances a retry
   * cannot find (it finds no task).
   */
  const answer = await context.client.send(
    new DeleteItemCommand({
      TableName: context.table,
      Key: key(tasksKey(context.namespace), name),
      ReturnValues: "ALL_OLD",
    }),
  );
  const partitions = Array.from({ length: task.partitionCount }, (_, partition) => partition);
  await mapLimit(partitions, 4, (partition) => deletePartition(context, name, partition));
  return answer.Attributes !== undefined;
}

/** True when any partition of the task holds an instance. */
export async function hasInstances(context: DynamoContext, task: TaskRecord): Promise<boolean> {
  const partitions = Array.from({ length: task.partitionCount }, (_, partition) => partition);
  const found = await mapLimit(partitions, 16, (partition) =>
    partitionHasItems(context, task.name, partition),
  );
  return found.includes(true);
}
