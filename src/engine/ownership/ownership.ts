/*
 * Which partitions this replica polls, behind one interface the engine asks (issue 10). The
 * three implementations: all (static-ownership.ts), static list or ordinal (same file), and
 * membership (membership-ownership.ts). Ownership saves work; it never guards correctness:
 * the store's fencing does, so two replicas briefly polling one partition are harmless.
 */

/** One replica in a partition map: where workers reach it and what it owns of the task. */
export interface MapReplica {
  readonly id: string;
  readonly address: string;
  readonly partitions: readonly number[];
}

/** The partition map of one task, as GetPartitionMap answers it. */
export interface PartitionMap {
  /** Changes whenever the owners change; equal on every replica that sees the same members. */
  readonly version: bigint;
  readonly replicas: readonly MapReplica[];
}

/** The ownership view the engine and GetPartitionMap read. */
export interface Ownership {
  /** "all", "static" or "membership", for logs. */
  readonly mode: string;
  /** True when this replica should poll `partition` of `task` (which has `partitionCount`). */
  owns(task: string, partition: number, partitionCount: number): boolean;
  /** The partitions of `task` this replica should poll, ascending. */
  owned(task: string, partitionCount: number): number[];
  /** Every owning replica and its partitions of `task`. */
  map(task: string, partitionCount: number): PartitionMap;
  /** Called after the owners may have changed (members joined, left, died). Returns unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Begins heartbeats (membership); resolves after the first attempt. */
  start(): Promise<void>;
  /** Leaves: owns nothing from then on, deletes its member record. Idempotent. */
  stop(): Promise<void>;
}

/** Where this replica is reached; read lazily (the bound port is known late). */
export type AddressOf = () => string;

/** A set of change listeners, shared by the implementations. */
export class ChangeListeners {
  readonly #listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener; one that throws does not stop the others (it is a bug, reported). */
  emit(report: (error: unknown) => void): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (thrown) {
        report(thrown);
      }
    }
  }
}
