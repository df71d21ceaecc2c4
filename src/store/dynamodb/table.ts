import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { READY_INDEX } from "./codec.ts";

/*
 * Why a local secondary index (LSI) for the due query, not a global one (GSI):
 * - An LSI can be read with ConsistentRead. A claim then never sees an instance at a ready
 *   time a commit already moved; on a GSI (eventually consistent) a poller would keep
 *   picking up just-claimed items and burn conditional writes that must fail.
 * - An LSI shares the table's partition key, so the due query of one task partition reads one
 *   item collection: exactly the `ns#task#partition` key the claim writes go to anyway.
 * - It costs no separately provisioned throughput to run out of: a GSI throttled behind a
 *   hot partition throttles the table's writes too.
 * The price: an LSI must exist when the table is created, and it caps one partition key's
 *   items (table plus index) at 10 GB. With KEYS_ONLY projection an instance costs a few
 *   hundred bytes, so one partition holds millions; a task that needs more raises its
 *   partition_count, which also spreads its writes over more DynamoDB partitions (about
 *   1,000 writes/s each), the other reason to partition a big task.
 */

const SHAPE =
  'pk (S) as partition key, sk (S) as sort key, and a local secondary index "ready" on pk + ready (N)';

function misshapen(table: string, what: string): PartituraError {
  return new PartituraError(
    ErrorCode.FailedPrecondition,
    `dynamodb table "${table}" ${what}; Partitura needs ${SHAPE}`,
  );
}

/** Throws FAILED_PRECONDITION unless the table has the keys and index Partitura reads. */
export function checkTableShape(table: string, description: TableDescription): void {
  const keys = description.KeySchema ?? [];
  const types = new Map(
    (description.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]),
  );
  const hash = keys.find((k) => k.KeyType === "HASH")?.AttributeName;
  const range = keys.find((k) => k.KeyType === "RANGE")?.AttributeName;
  if (hash !== "pk" || range !== "sk" || types.get("pk") !== "S" || types.get("sk") !== "S") {
    throw misshapen(table, "has other keys");
  }
  const index = description.LocalSecondaryIndexes?.find((i) => i.IndexName === READY_INDEX);
  const indexHash = index?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
  const indexRange = index?.KeySchema?.find((k) => k.KeyType === "RANGE")?.AttributeName;
  if (indexHash !== "pk" || indexRange !== "ready" || types.get("ready") !== "N") {
    throw misshapen(table, `has no local secondary index "${READY_INDEX}" on pk + ready (N)`);
  }
}

async function describe(client: DynamoDBClient, table: string): Promise<TableDescription | undefined> {
  try {
    const answer = await client.send(new DescribeTableCommand({ TableName: table }));
    return answer.Table;
  } catch (thrown) {
    if (thrown instanceof ResourceNotFoundException) return undefined;
    throw thrown;
  }
}

async function create(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
          { AttributeName: "ready", AttributeType: "N" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: READY_INDEX,
            KeySchema: [
              { AttributeName: "pk", KeyType: "HASH" },
              { AttributeName: "ready", KeyType: "RANGE" },
            ],
            // The claim reads keys only, then writes each item; nothing else is worth copying.
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
        ],
      }),
    );
  } catch (thrown) {
    // Another replica starting at the same moment created it first: fine, wait for it below.
    if (!(thrown instanceof ResourceInUseException)) throw thrown;
  }
}

/**
 * Makes sure the table exists with the right shape: creates it (on-demand capacity) when
 * missing and `allowCreate`, then waits until it is ACTIVE. A missing table with create=false
 * or a table of another shape is FAILED_PRECONDITION naming what is expected.
 */
export async function ensureTable(
  client: DynamoDBClient,
  table: string,
  allowCreate: boolean,
): Promise<void> {
  let description = await describe(client, table);
  if (description === undefined) {
    if (!allowCreate) {
      throw new PartituraError(
        ErrorCode.FailedPrecondition,
        `dynamodb table "${table}" does not exist and the store URL says create=false; create it with ${SHAPE}`,
      );
    }
    await create(client, table);
    description = await describe(client, table);
  }
  if (description?.TableStatus !== "ACTIVE") {
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: table });
    description = await describe(client, table);
  }
  if (description === undefined) throw misshapen(table, "vanished while it was being created");
  checkTableShape(table, description);
}
