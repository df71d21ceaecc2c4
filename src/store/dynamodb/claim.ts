import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { InstanceRecord } from "../../domain/model.ts";
import { type Item, itemToInstance, num, partitionKey, READY_INDEX } from "./codec.ts";
import { type DynamoContext, namesOf, queryUpTo, WRITE_CONCURRENCY } from "./context.ts";
import { isConditionFailed } from "./errors.ts";
import { mapLimit } from "./map-limit.ts";

/*
 * A claim is a consistent query of the ready index (one partition key, ready <= now, in ready
 * order), then one conditional UpdateItem per candidate. The condition is the due predicate
 * itself, `ready <= now`: of two pollers racing for an item exactly one write passes, since
 * the winner moves `ready` to its lease end; the loser's write is refused and it moves on.
 * Its lost candidates may leave the batch short, so it reads the index again (the winner's
 * items no longer match) and tries the next ones, a bounded number of rounds.
 *
 * While an item is due, ready = max(next, locked) <= now, so after the claim
 * ready = max(next, now + lease) = now + lease: no stored operand needs to be known.
 */

const UPDATE = "SET #locked = :until, #ready = :until, #owner = :owner ADD #ver :one, #att :one";
const CONDITION = "#ready <= :now";
const MAX_ROUNDS = 3;

/** Claims one candidate; undefined when another poller (or a commit) got there first. */
async function claimOne(
  context: DynamoContext,
  candidate: Item,
  now: number,
  leaseMs: number,
  owner: string,
): Promise<InstanceRecord | undefined> {
  try {
    const answer = await context.client.send(
      new UpdateItemCommand({
        TableName: context.table,
        Key: { pk: candidate.pk as Item[string], sk: candidate.sk as Item[string] },
        UpdateExpression: UPDATE,
        ConditionExpression: CONDITION,
        ExpressionAttributeNames: namesOf(UPDATE, CONDITION),
        ExpressionAttributeValues: {
          ":until": num(now + leaseMs),
          ":owner": { S: owner },
          ":one": num(1),
          ":now": num(now),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return answer.Attributes === undefined ? undefined : itemToInstance(answer.Attributes);
  } catch (thrown) {
    if (isConditionFailed(thrown)) return undefined;
    throw thrown;
  }
}

/** The Store's claimDue on DynamoDB (see the contract in store.ts). */
export async function claimDue(
  context: DynamoContext,
  task: string,
  partition: number,
  now: number,
  limit: number,
  leaseMs: number,
  owner: string,
): Promise<InstanceRecord[]> {
  const pk = partitionKey(context.namespace, task, partition);
  const condition = "#pk = :pk AND #ready <= :now";
  const claimed: { ready: number; record: InstanceRecord }[] = [];
  for (let round = 0; round < MAX_ROUNDS && claimed.length < limit; round++) {
    const wanted = limit - claimed.length;
    const candidates = await queryUpTo(
      context,
      {
        IndexName: READY_INDEX,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: namesOf(condition),
        ExpressionAttributeValues: { ":pk": { S: pk }, ":now": num(now) },
      },
      wanted,
    );
    const results = await mapLimit(candidates, WRITE_CONCURRENCY, (candidate) =>
      claimOne(context, candidate, now, leaseMs, owner),
    );
    let lost = 0;
    results.forEach((record, index) => {
      if (record === undefined) lost++;
      else claimed.push({ ready: Number(candidates[index]?.ready?.N), record });
    });
    // Nothing lost, or fewer candidates than wanted: the index had no more than we tried.
    if (lost === 0 || candidates.length < wanted) break;
  }
  // The index orders equal ready times arbitrarily; ties go by name (UTF-8 order, as the
  // sort key and SQLite compare), so every store answers a claim in the same order.
  claimed.sort(
    (x, y) => x.ready - y.ready || Buffer.compare(Buffer.from(x.record.name), Buffer.from(y.record.name)),
  );
  return claimed.map((entry) => entry.record);
}
