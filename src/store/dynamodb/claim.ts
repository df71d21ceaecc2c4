import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { InstanceRecord } from "../../domain/model.ts";
import type { ClaimRequest, ClaimResult } from "../store.ts";
import { type Item, itemToInstance, num, partitionKey, READY_INDEX } from "./codec.ts";
import { type DynamoContext, namesOf, queryUpTo, WRITE_CONCURRENCY } from "./context.ts";
import { isConditionFailed } from "./errors.ts";
import { nextDueAt } from "./instances.ts";
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

/*
 * A batch's conditional writes are independent, so one may fail (throttled) after others have
 * passed. Rejecting the whole claim then would strand the passed ones: leased to this poller,
 * delivered to nobody, idle until the lease ends. So every write is settled, the claimed ones
 * are returned (the failed candidate is simply not claimed this time, which "up to limit"
 * allows), and the error is thrown only when nothing was claimed. It is not lost: the
 * candidate stays due, so a throttle that persists fails a later claim that passes nothing.
 */
type Settled = { record: InstanceRecord | undefined } | { error: unknown };

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

/**
 * The Store's claim on DynamoDB (see the contract in store.ts). nextDueAt costs one more
 * query of the ready index, read after the writes (DynamoDB has no claim-and-read in one step).
 */
export async function claim(context: DynamoContext, request: ClaimRequest): Promise<ClaimResult> {
  const claimed = await claimDue(context, request);
  return { claimed, nextDueAt: await nextDueAt(context, request.task, request.partition) };
}

async function claimDue(context: DynamoContext, request: ClaimRequest): Promise<InstanceRecord[]> {
  const { task, partition, now, limit, leaseMs, owner } = request;
  if (limit <= 0) return [];
  const pk = partitionKey(context.namespace, task, partition);
  const condition = "#pk = :pk AND #ready <= :now";
  const claimed: { ready: number; record: InstanceRecord }[] = [];
  let failure: { error: unknown } | undefined;
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
    const results = await mapLimit(
      candidates,
      WRITE_CONCURRENCY,
      (candidate): Promise<Settled> =>
        claimOne(context, candidate, now, leaseMs, owner).then(
          (record) => ({ record }),
          (error: unknown) => ({ error }),
        ),
    );
    let lost = 0;
    results.forEach((settled, index) => {
      if ("error" in settled) failure ??= settled;
      else if (settled.record === undefined) lost++;
      else claimed.push({ ready: Number(candidates[index]?.ready?.N), record: settled.record });
    });
    // A failed write ends the rounds (more writes would meet the same throttle); nothing lost,
    // or fewer candidates than wanted, means the index had no more than we tried.
    if (failure !== undefined || lost === 0 || candidates.length < wanted) break;
  }
  if (claimed.length === 0 && failure !== undefined) throw failure.error;
  // The index orders equal ready times arbitrarily; ties go by name (UTF-8 order, as the
  // sort key and SQLite compare), so every store answers a claim in the same order.
  claimed.sort(
    (x, y) => x.ready - y.ready || Buffer.compare(Buffer.from(x.record.name), Buffer.from(y.record.name)),
  );
  return claimed.map((entry) => entry.record);
}
