import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { TaskRecord } from "../../domain/model.ts";
import { type Item, itemToTask, key, tasksKey, taskToItem } from "./codec.ts";
import { type DynamoContext, namesOf, queryUpTo } from "./context.ts";
import { deletePartition, partitionHasItems } from "./instances.ts";
import { mapLimit } from "./map-limit.ts";

/*
 * Task definitions share one partition key per namespace, so listing them is one query in name
 * order. They are few and rarely written, so that key is never hot.
 */

/** Creates or replaces a task definition. */
export async function putTask(context: DynamoContext, task: TaskRecord): Promise<void> {
  await context.client.send(
    new PutItemCommand({ TableName: context.table, Item: taskToItem(context.namespace, task) }),
  );
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
 * Deletes a task's instances, then the task. In this order a failure half-way leaves the task
 * in place, so calling again finishes the job instead of orphaning instances.
 */
export async function deleteTask(context: DynamoContext, name: string): Promise<boolean> {
  const task = await getTask(context, name);
  if (task === undefined) return false;
  /*
   * The definition first, the instances after: an upsert reads the task again after its writes
   * (dynamodb-store.ts), so one that still saw the task wrote before this delete and its
   * instances are swept below, and one that did not takes its own back. Swept the other way
   * round, a write landing between the sweep and the delete would be an orphan. The cost: a
   * sweep that fails half way leaves instances a retry cannot find (it finds no task).
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
