/*
 * The key layout. Every key of one partition carries the same hash tag
 * `{ns:generation:partition:task}`, so a partition lives in one cluster slot (its scripts never
 * cross slots) while the partitions of one task spread over every master. The fixed fields come
 * first and the task name last, so any task name (even one holding ':' or '}') gives distinct,
 * unambiguous keys; a '}' inside a task name only shortens the tag, which still holds the
 * partition number and so still spreads.
 *
 * The layout generation is there for online repartitioning: a task moved to a new partition
 * count gets its instances under a new generation, beside the old keys, while they move. Until
 * that exists every task lives in generation 0.
 *
 *   {ns}:tasks                         hash   task name -> task record (JSON; cold path)
 *   {ns}:task-names                    zset   task names, score 0, for name-ordered paging
 *   {ns:gen:partition:task}:due        zset   instance name -> ready time (epoch ms)
 *   {ns:gen:partition:task}:inst       hash   instance name -> binary instance record
 *   {ns:gen:partition:task}:runs       hash   instance name -> run counters and recent runs
 *                                             (run-codec.ts), for instances that ran
 *   {ns:gen:partition:task}:gone       string tombstone of a deleted task (expires; see deleteTask)
 *   ns:wake                            pub/sub channel of wake-up messages
 */

/** The layout generation every task lives in today. */
export const LAYOUT_GENERATION = 0;

/** The keys of one partition; due and inst, in that order, are every script's first two. */
export interface PartitionKeys {
  readonly due: string;
  readonly inst: string;
  /** Set by deleteTask, so an upsert that read the task before the delete is refused. */
  readonly gone: string;
  /** Run counters and recent runs, by instance name (commit, release and remove keep it). */
  readonly runs: string;
}

/** The keys of one namespace. */
export class KeyLayout {
  readonly tasks: string;
  readonly taskNames: string;
  readonly wakeChannel: string;

  constructor(readonly namespace: string) {
    this.tasks = `{${namespace}}:tasks`;
    this.taskNames = `{${namespace}}:task-names`;
    this.wakeChannel = `${namespace}:wake`;
  }

  /** The keys of one partition of one task. */
  partition(task: string, partition: number, generation = LAYOUT_GENERATION): PartitionKeys {
    const tag = `{${this.namespace}:${generation}:${partition}:${task}}`;
    return { due: `${tag}:due`, inst: `${tag}:inst`, gone: `${tag}:gone`, runs: `${tag}:runs` };
  }

  /** Glob patterns matching every key of the namespace (for tools and test clean-up). */
  patterns(): string[] {
    return [`{${this.namespace}}:*`, `{${this.namespace}:*`];
  }
}
