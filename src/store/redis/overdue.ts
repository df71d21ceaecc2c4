import type { OverdueCount } from "../store.ts";
import type { RedisClient } from "./scripts.ts";

/*
 * Store.overdue on Redis: ZCOUNT of the partition's due set up to `before`, and its first
 * member's score (auto-pipelining sends both in one write). Leased members are scored at their
 * lease end, so a live lease is not overdue and an expired one that nobody reclaimed is.
 */

/** Counts the overdue members of one `due` sorted set. */
export async function overdueIn(client: RedisClient, due: string, before: number): Promise<OverdueCount> {
  const [count, first] = await Promise.all([
    client.zcount(due, "-inf", before),
    client.zrange(due, 0, 0, "WITHSCORES"),
  ]);
  const score = first[1] === undefined ? undefined : Number(first[1]);
  return { count, oldest: count === 0 ? undefined : score };
}
