import { combineHashes, partitionHash, stableHash } from "./stable-hash.ts";

/*
 * Rendezvous (highest random weight) hashing with a bounded load. Each (member, partition)
 * pair gets a score; a partition goes to its best-scoring member unless that member is full.
 * The pairs are taken in one global order (score descending, then member id, then partition),
 * each partition to the first member that still has room: this is the stable assignment of
 * partitions to members whose preferences are both the score, and it is unique, so every replica
 * that sees the same member list computes the same owners with no leader and no coordination.
 *
 * Capacity is ceil(P / N) + 1 per member (the bound). The slack of one is what keeps
 * movement small: with an exact ceil(P / N) a join or a leave shifts the capacity of every
 * member and pushes partitions along chains; with the slack the owners are almost always
 * plain rendezvous owners, and a join or a leave moves (about) only that member's share.
 */

/** The most partitions of a task one member may own: ceil(P / N) + 1. */
export function ownershipCapacity(partitionCount: number, memberCount: number): number {
  return Math.ceil(partitionCount / memberCount) + 1;
}

/**
 * The owner (a member id) of each partition 0..partitionCount-1 of `task`, or an empty array
 * when there are no members. `members` may come in any order and may repeat ids.
 */
export function rendezvousOwners(task: string, partitionCount: number, members: readonly string[]): string[] {
  const ids = [...new Set(members)].sort();
  if (ids.length === 0 || partitionCount <= 0) return [];
  if (ids.length === 1) return new Array<string>(partitionCount).fill(ids[0] as string);
  const memberHashes = ids.map((id) => stableHash(id));
  const n = ids.length;
  const pairs = partitionCount * n;
  const scores = new Float64Array(pairs);
  for (let p = 0; p < partitionCount; p++) {
    const key = partitionHash(task, p);
    for (let m = 0; m < n; m++) scores[p * n + m] = combineHashes(memberHashes[m] as number, key);
  }
  // Pair index p * n + m; sorting indexes by score keeps the scores in one typed array.
  const order = new Uint32Array(pairs);
  for (let i = 0; i < pairs; i++) order[i] = i;
  order.sort((x, y) => (scores[y] as number) - (scores[x] as number) || x - y);
  const capacity = ownershipCapacity(partitionCount, n);
  const load = new Uint32Array(n);
  const owner = new Int32Array(partitionCount).fill(-1);
  let left = partitionCount;
  for (let i = 0; i < pairs && left > 0; i++) {
    const pair = order[i] as number;
    const p = Math.floor(pair / n);
    const m = pair - p * n;
    if (owner[p] !== -1 || (load[m] as number) >= capacity) continue;
    owner[p] = m;
    load[m] = (load[m] as number) + 1;
    left--;
  }
  return Array.from(owner, (m) => ids[m] as string);
}
