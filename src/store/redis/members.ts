import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import { MEMBER_PRUNE_AFTER_MS } from "../../domain/limits.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import type { RedisClient } from "./scripts.ts";

/*
 * Membership on Redis: a sorted set `{ns}:members` (member id -> expiry in epoch ms) and a hash
 * `{ns}:member-data` (id -> JSON of address and start). Both carry the `{ns}` hash tag, so on
 * a Redis Cluster they live in one slot: a MULTI over them is atomic, and listing is one
 * ZRANGEBYSCORE of live scores — no KEYS or SCAN across nodes. Expiry is the writer's time
 * (SHARED rule: time comes from the caller, never from the Redis clock). Expired ids are
 * trimmed from the set on every heartbeat; their data fields go with removeMember or are
 * overwritten when the id returns (StatefulSet ids are reused, so they do not pile up).
 */

/** The two keys of a namespace's membership. */
export function memberKeys(namespace: string): { readonly set: string; readonly data: string } {
  return { set: `{${namespace}}:members`, data: `{${namespace}}:member-data` };
}

/** MULTI's reply: one [error, result] per command; any error fails the whole call. */
function checked(replies: [Error | null, unknown][] | null, operation: string): unknown[] {
  if (replies === null)
    throw new PartituraError(ErrorCode.Unavailable, `redis ${operation}: transaction aborted`);
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

/** Writes this member's record, live until now + ttlMs. */
export async function heartbeatMember(
  client: RedisClient,
  namespace: string,
  member: MemberRecord,
  ttlMs: number,
  now: number,
): Promise<void> {
  const keys = memberKeys(namespace);
  const data = JSON.stringify({ address: member.address, startedAt: member.startedAt });
  const replies = await client
    .multi()
    .zadd(keys.set, now + ttlMs, member.id)
    .hset(keys.data, member.id, data)
    .zremrangebyscore(keys.set, "-inf", `(${now - MEMBER_PRUNE_AFTER_MS}`)
    .exec();
  checked(replies, "heartbeatMember");
}

/** The live members (expiry after now), in id order. */
export async function listMembers(
  client: RedisClient,
  namespace: string,
  now: number,
): Promise<LiveMember[]> {
  const keys = memberKeys(namespace);
  const [scored, data] = checked(
    await client.multi().zrangebyscore(keys.set, `(${now}`, "+inf", "WITHSCORES").hgetall(keys.data).exec(),
    "listMembers",
  ) as [string[], Record<string, string>];
  const members: LiveMember[] = [];
  for (let i = 0; i + 1 < scored.length; i += 2) {
    const id = scored[i] as string;
    const record = data[id];
    // Removed between the two reads cannot happen (one MULTI); a missing field is corruption.
    if (record === undefined) throw corrupt(id);
    members.push({ id, ...parseData(id, record), expiresAt: Number(scored[i + 1]) });
  }
  return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Deletes a member record at once. */
export async function removeMember(client: RedisClient, namespace: string, id: string): Promise<void> {
  const keys = memberKeys(namespace);
  checked(await client.multi().zrem(keys.set, id).hdel(keys.data, id).exec(), "removeMember");
}

function parseData(id: string, text: string): { address: string; startedAt: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(id);
  }
  if (typeof value === "object" && value !== null && "address" in value && "startedAt" in value) {
    const { address, startedAt } = value;
    if (typeof address === "string" && typeof startedAt === "number") return { address, startedAt };
  }
  throw corrupt(id);
}

function corrupt(id: string): PartituraError {
  return new PartituraError(ErrorCode.Internal, `redis: stored member record of "${id}" is invalid`);
}
