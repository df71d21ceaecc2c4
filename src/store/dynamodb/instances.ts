import { BatchWriteItemCommand, DeleteItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type { InstanceRecord, RunHistory } from "../../domain/model.ts";
import { namePage } from "../name-page.ts";
import { decodeRuns } from "../run-codec.ts";
import type { InstancePage, InstanceRef, ListInstancesRequest } from "../store.ts";
import { type Item, itemToInstance, key, partitionKey, READY_INDEX } from "./codec.ts";
import { type DynamoContext, namesOf, queryUpTo, WRITE_CONCURRENCY } from "./context.ts";
import { mapLimit } from "./map-limit.ts";

/** One instance, read consistently. */
export async function getInstance(
  context: DynamoContext,
  task: string,
  partition: number,
  name: string,
): Promise<InstanceRecord | undefined> {
  const answer = await context.client.send(
    new GetItemCommand({
      TableName: context.table,
      Key: key(partitionKey(context.namespace, task, partition), name),
      ConsistentRead: true,
    }),
  );
  return answer.Item === undefined ? undefined : itemToInstance(answer.Item);
}

/** The run histories of instances (the items' `runs` attribute), in the order of `refs`. */
export function getRuns(
  context: DynamoContext,
  task: string,
  refs: readonly InstanceRef[],
): Promise<(RunHistory | undefined)[]> {
  // Reads are as cheap to run side by side as writes: the same bound.
  return mapLimit(refs, WRITE_CONCURRENCY, async (ref) => {
    const answer = await context.client.send(
      new GetItemCommand({
        TableName: context.table,
        Key: key(partitionKey(context.namespace, task, ref.partition), ref.name),
        ConsistentRead: true,
        ProjectionExpression: "#runs",
        ExpressionAttributeNames: { "#runs": "runs" },
      }),
    );
    const bytes = answer.Item?.runs?.B;
    return bytes === undefined ? undefined : decodeRuns(`instance "${ref.name}"`, bytes);
  });
}

/** A page of one partition in name order (the sort key's order); the cursor is the last name. */
export async function listInstances(
  context: DynamoContext,
  request: ListInstancesRequest,
): Promise<InstancePage> {
  const { task, partition, limit, cursor: afterName } = request;
  const condition = afterName === undefined ? "#pk = :pk" : "#pk = :pk AND #sk > :after";
  const values: Item = { ":pk": { S: partitionKey(context.namespace, task, partition) } };
  if (afterName !== undefined) values[":after"] = { S: afterName };
  const items = await queryUpTo(
    context,
    {
      KeyConditionExpression: condition,
      ExpressionAttributeNames: namesOf(condition),
      ExpressionAttributeValues: values,
    },
    limit + 1,
  );
  return namePage(items.map(itemToInstance), limit);
}

/** Deletes instances whatever their lease; counts those that existed. */
export async function removeInstances(
  context: DynamoContext,
  task: string,
  refs: readonly InstanceRef[],
): Promise<number> {
  const existed = await mapLimit(refs, WRITE_CONCURRENCY, async (ref) => {
    const answer = await context.client.send(
      new DeleteItemCommand({
        TableName: context.table,
        Key: key(partitionKey(context.namespace, task, ref.partition), ref.name),
        ReturnValues: "ALL_OLD",
      }),
    );
    return answer.Attributes !== undefined;
  });
  return existed.filter(Boolean).length;
}

/** The earliest ready time of one partition: the first entry of the ready index. */
export async function nextDueAt(
  context: DynamoContext,
  task: string,
  partition: number,
): Promise<number | undefined> {
  const condition = "#pk = :pk";
  const [first] = await queryUpTo(
    context,
    {
      IndexName: READY_INDEX,
      KeyConditionExpression: condition,
      ExpressionAttributeNames: namesOf(condition),
      ExpressionAttributeValues: { ":pk": { S: partitionKey(context.namespace, task, partition) } },
    },
    1,
  );
  const ready = first?.ready?.N;
  return ready === undefined ? undefined : Number(ready);
}

/** True when the partition holds any instance. */
export async function partitionHasItems(
  context: DynamoContext,
  task: string,
  partition: number,
): Promise<boolean> {
  const condition = "#pk = :pk";
  const items = await queryUpTo(
    context,
    {
      KeyConditionExpression: condition,
      ProjectionExpression: "#pk",
      ExpressionAttributeNames: namesOf(condition),
      ExpressionAttributeValues: { ":pk": { S: partitionKey(context.namespace, task, partition) } },
    },
    1,
  );
  return items.length > 0;
}

const BATCH = 25; // BatchWriteItem's limit
const PAGE = 500;

/**
 * Deletes every instance of one partition, a page of keys at a time, 25 deletes a request.
 * Deletes DynamoDB left unprocessed (throttled) are sent again after a growing pause.
 */
export async function deletePartition(
  context: DynamoContext,
  task: string,
  partition: number,
): Promise<void> {
  const condition = "#pk = :pk";
  const pk = { S: partitionKey(context.namespace, task, partition) };
  for (;;) {
    const keys = await queryUpTo(
      context,
      {
        KeyConditionExpression: condition,
        ProjectionExpression: "#pk, #sk",
        ExpressionAttributeNames: namesOf(condition, "#sk"),
        ExpressionAttributeValues: { ":pk": pk },
      },
      PAGE,
    );
    if (keys.length === 0) return;
    const batches: Item[][] = [];
    for (let i = 0; i < keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
    await mapLimit(batches, 4, (batch) => deleteBatch(context, batch));
  }
}

async function deleteBatch(context: DynamoContext, keys: Item[]): Promise<void> {
  let requests = keys.map((k) => ({ DeleteRequest: { Key: k } }));
  for (let tries = 0, pause = 50; tries < 10; tries++, pause = Math.min(pause * 2, 2_000)) {
    const answer = await context.client.send(
      new BatchWriteItemCommand({ RequestItems: { [context.table]: requests } }),
    );
    requests = (answer.UnprocessedItems?.[context.table] ?? []).flatMap((request) => {
      const left = request.DeleteRequest?.Key;
      return left === undefined ? [] : [{ DeleteRequest: { Key: left } }];
    });
    if (requests.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  throw new PartituraError(
    ErrorCode.Unavailable,
    `dynamodb: ${requests.length} deletes stayed unprocessed (throttled) after 10 tries`,
  );
}
