import { type DynamoDBClient, QueryCommand, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import type { Item } from "./codec.ts";

/** What every operation of the adapter needs: the client, the table and the namespace. */
export interface DynamoContext {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly namespace: string;
}

/** Parallel single-item writes in flight per batch operation (see map-limit.ts). */
export const WRITE_CONCURRENCY = 16;

/**
 * ExpressionAttributeNames for the `#name` placeholders used in `expressions`, each standing
 * for the attribute of the same name. DynamoDB rejects names an expression does not use, and
 * several of ours (`next`, `owner`) are reserved words, so every attribute goes by placeholder.
 */
export function namesOf(...expressions: readonly (string | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const expression of expressions) {
    for (const match of expression?.matchAll(/#(\w+)/g) ?? []) names[match[0]] = match[1] as string;
  }
  return names;
}

/**
 * Runs a query and follows its pages until `limit` items arrived or none are left (one page
 * stops at 1 MB whatever Limit says). Always strongly consistent: these reads decide writes.
 */
export async function queryUpTo(
  context: DynamoContext,
  input: Omit<QueryCommandInput, "TableName" | "Limit" | "ExclusiveStartKey" | "ConsistentRead">,
  limit: number,
): Promise<Item[]> {
  const items: Item[] = [];
  if (limit <= 0) return items; // DynamoDB refuses Limit 0
  let start: Item | undefined;
  do {
    const page = await context.client.send(
      new QueryCommand({
        ...input,
        TableName: context.table,
        ConsistentRead: true,
        Limit: limit - items.length,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && items.length < limit);
  return items;
}
