/*
 * Batches arrive as lists that may span partitions (and, for leases, tasks). Every script works
 * on one partition, so a batch is split into one group per partition, the groups are sent
 * together (auto-pipelined: one round trip per node) and the answers put back in input order.
 * A group holds at most MAX_GROUP items, so no script keeps Redis busy for long; the groups of one
 * partition go out in order on one connection and run in that order.
 */

/** The most items one script call handles. */
export const MAX_GROUP = 1000;

/** The items of one partition of a batch, with their positions in the input. */
export interface PartitionGroup<T> {
  readonly task: string;
  readonly partition: number;
  readonly items: T[];
  readonly positions: number[];
}

/** Groups `items` by (task, partition), at most MAX_GROUP a group, keeping input order. */
export function groupByPartition<T>(
  items: readonly T[],
  where: (item: T) => { readonly task: string; readonly partition: number },
): PartitionGroup<T>[] {
  const open = new Map<string, PartitionGroup<T>>();
  const groups: PartitionGroup<T>[] = [];
  items.forEach((item, position) => {
    const { task, partition } = where(item);
    // The task name comes last, so no two (task, partition) pairs share a key.
    const key = `${partition}:${task}`;
    let group = open.get(key);
    if (group === undefined || group.items.length >= MAX_GROUP) {
      group = { task, partition, items: [], positions: [] };
      open.set(key, group);
      groups.push(group);
    }
    group.items.push(item);
    group.positions.push(position);
  });
  return groups;
}

/**
 * Runs `run` on every group concurrently and assembles the per-item answers in input order.
 * `run` answers its group's items in the group's order.
 */
export async function perPartition<T, R>(
  items: readonly T[],
  where: (item: T) => { readonly task: string; readonly partition: number },
  run: (group: PartitionGroup<T>) => Promise<R[]>,
): Promise<R[]> {
  const groups = groupByPartition(items, where);
  return assemble(items.length, groups, await Promise.all(groups.map(run)));
}

/**
 * perPartition for lease batches (store.ts, "a batch that fails half way"): a group whose call
 * failed answers `unknown` for each of its items (its script may or may not have run), the
 * other groups their own answers. Throws the first failure only when every group failed:
 * then nothing is known about any item.
 */
export async function perPartitionSettled<T, R>(
  items: readonly T[],
  where: (item: T) => { readonly task: string; readonly partition: number },
  run: (group: PartitionGroup<T>) => Promise<R[]>,
  unknown: R,
): Promise<R[]> {
  const groups = groupByPartition(items, where);
  const settled = await Promise.allSettled(groups.map(run));
  const failed = settled.find((result) => result.status === "rejected");
  if (failed !== undefined && settled.every((result) => result.status === "rejected")) throw failed.reason;
  const answers = settled.map((result, g) =>
    result.status === "fulfilled" ? result.value : (groups[g]?.items.map(() => unknown) ?? []),
  );
  return assemble(items.length, groups, answers);
}

/** Puts each group's answers back at their items' input positions. */
function assemble<T, R>(length: number, groups: readonly PartitionGroup<T>[], answers: readonly R[][]): R[] {
  const out = new Array<R>(length);
  groups.forEach((group, g) => {
    const answer = answers[g] ?? [];
    group.positions.forEach((position, i) => {
      const value = answer[i];
      if (value === undefined) throw new Error(`partition ${group.partition} answered too few items`);
      out[position] = value;
    });
  });
  return out;
}
