import { DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { MAX_MEMBERS, MEMBER_PRUNE_AFTER_MS } from "../../domain/limits.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import { type Item, key, num } from "./codec.ts";
import { type DynamoContext, queryUpTo } from "./context.ts";

/*
 * Membership on DynamoDB: one item per member under the partition key `ns#members` (task
 * partitions are `ns#task#partition`, task definitions `ns#tasks`, so it never collides), with
 * its expiry as a number. Members are read with one strongly consistent query of that key and
 * filtered by expiry here: DynamoDB's own TTL deletes lazily (up to days late), so it cannot
 * decide liveness. The items carry no `ready` attribute and so stay out of the ready index.
 */

/** The partition key of a namespace's member records. */
export function membersKey(namespace: string): string {
  return `${namespace}#members`;
}

/** Writes this member's record, live until now + ttlMs. */
export async function heartbeatMember(
  context: DynamoContext,
  member: MemberRecord,
  ttlMs: number,
  now: number,
): Promise<void> {
  await context.client.send(
    new PutItemCommand({
      TableName: context.table,
      Item: {
        ...key(membersKey(context.namespace), member.id),
        address: { S: member.address },
        startedAt: num(member.startedAt),
        expiresAt: num(now + ttlMs),
      },
    }),
  );
}

/** The live members in id order (the sort key is the id). */
export async function listMembers(context: DynamoContext, now: number): Promise<LiveMember[]> {
  const items = await queryUpTo(
    context,
    {
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": "pk" },
      ExpressionAttributeValues: { ":pk": { S: membersKey(context.namespace) } },
    },
    MAX_MEMBERS * 4,
  );
  const live: LiveMember[] = [];
  const stale: string[] = [];
  for (const item of items) {
    const member = itemToMember(item);
    if (member.expiresAt > now) live.push(member);
    else if (member.expiresAt < now - MEMBER_PRUNE_AFTER_MS) stale.push(member.id);
  }
  // Conditional: a member that came back in the meantime keeps its fresh record.
  await Promise.all(stale.map((id) => removeMember(context, id, now - MEMBER_PRUNE_AFTER_MS)));
  return live;
}

/** Deletes a member record; with `expiredBefore`, only when it expired before then. */
export async function removeMember(
  context: DynamoContext,
  id: string,
  expiredBefore?: number,
): Promise<void> {
  try {
    await context.client.send(
      new DeleteItemCommand({
        TableName: context.table,
        Key: key(membersKey(context.namespace), id),
        ...(expiredBefore === undefined
          ? {}
          : {
              ConditionExpression: "#expiresAt < :cutoff",
              ExpressionAttributeNames: { "#expiresAt": "expiresAt" },
              ExpressionAttributeValues: { ":cutoff": num(expiredBefore) },
            }),
      }),
    );
  } catch (thrown) {
    if (thrown instanceof Error && thrown.name === "ConditionalCheckFailedException") return;
    throw thrown;
  }
}

function itemToMember(item: Item): LiveMember {
  const id = item.sk?.S;
  const address = item.address?.S;
  const startedAt = Number(item.startedAt?.N);
  const expiresAt = Number(item.expiresAt?.N);
  if (
    id === undefined ||
    address === undefined ||
    !Number.isFinite(startedAt) ||
    !Number.isFinite(expiresAt)
  ) {
    throw new PartituraError(ErrorCode.Internal, "dynamodb: stored member record is incomplete");
  }
  return { id, address, startedAt, expiresAt };
}
