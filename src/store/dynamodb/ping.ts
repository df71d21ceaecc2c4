import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError, toError } from "../../domain/errors.ts";
import type { DynamoContext } from "./context.ts";

/*
 * The health ping. The SDK's own timeouts (a request gets 10 s, then retries) are right for
 * data calls but far too slow for readiness: a DynamoDB endpoint that accepts connections and
 * never answers (DynamoDB Local frozen, a black-holed network) would look healthy for tens of
 * seconds. So the ping carries an abort signal of its own. It is a GetItem of one key that
 * never exists (half a read unit, the same data path as every claim), not DescribeTable, whose
 * control-plane quota is shared with table management.
 */

/** Reads one absent item within `timeoutMs`; throws UNAVAILABLE when no answer came in time. */
export async function pingTable(context: DynamoContext, timeoutMs: number): Promise<void> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await context.client.send(
      new GetItemCommand({
        TableName: context.table,
        Key: { pk: { S: `${context.namespace}#ping` }, sk: { S: "ping" } },
        ProjectionExpression: "pk",
      }),
      { abortSignal },
    );
  } catch (thrown) {
    if (!abortSignal.aborted) throw thrown;
    throw new PartituraError(ErrorCode.Unavailable, `dynamodb ping: no answer within ${timeoutMs} ms`, {
      cause: toError(thrown),
    });
  }
}
