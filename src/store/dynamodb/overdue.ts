import { QueryCommand } from "@aws-sdk/client-dynamodb";
import type { OverdueCount } from "../store.ts";
import { type Item, num, partitionKey, READY_INDEX } from "./codec.ts";
import { type DynamoContext, namesOf } from "./context.ts";

/*
 * Store.overdue on DynamoDB: the earliest ready item of the partition from the ready index
 * (one item), then a Select COUNT query over the index range ready <= before. A COUNT page
 * still reads up to 1 MB, so the pages are bounded: past MAX_PAGES the count is a lower bound,
 * which is enough for an alert ("more than N overdue"). Eventually consistent reads: half the
 * price, and a metric may lag a moment.
 */

/** Pages of 1 MB one count may read; 8 pages count tens of thousands of instances. */
const MAX_PAGES = 8;

/** Counts the overdue items of one task partition. */
export async function overdueIn(
  context: DynamoContext,
  task: string,
  partition: number,
  before: number,
): Promise<OverdueCount> {
  const condition = "#pk = :pk AND #ready <= :before";
  const base = {
    TableName: context.table,
    IndexName: READY_INDEX,
    KeyConditionExpression: condition,
    ExpressionAttributeNames: namesOf(condition),
    ExpressionAttributeValues: {
      ":pk": { S: partitionKey(context.namespace, task, partition) },
      ":before": num(before),
    },
  };
  const first = await context.client.send(
    new QueryCommand({ ...base, Limit: 1, ProjectionExpression: "#ready" }),
  );
  const earliest = first.Items?.[0]?.ready?.N;
  if (earliest === undefined) return { count: 0, oldest: undefined };
  let count = 0;
  let start: Item | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await context.client.send(
      new QueryCommand({
        ...base,
        Select: "COUNT",
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    count += answer.Count ?? 0;
    start = answer.LastEvaluatedKey;
    if (start === undefined) break;
  }
  // The two reads are not one snapshot: a claim between them can empty the range the first one
  // saw. The count is the later read, so it decides; an oldest beside a count of 0 would be a
  // stale figure on the dashboard.
  return count === 0 ? { count: 0, oldest: undefined } : { count, oldest: Number(earliest) };
}
