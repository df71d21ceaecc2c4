import { staticOrdinalOwns } from "../../domain/stable-hash.ts";
import type { AddressOf, Ownership, PartitionMap } from "./ownership.ts";

/** How a static replica decides: every partition, a fixed list, or hash mod N by ordinal. */
export type StaticRule =
  | { readonly kind: "all" }
  | { readonly kind: "list"; readonly partitions: ReadonlySet<number> }
  | { readonly kind: "ordinal"; readonly replicas: number; readonly ordinal: number };

/**
 * Ownership that never changes: all partitions (one replica, the default) or a static share.
 * A static replica knows only itself, so its map names only itself (version 1, never
 * changing): workers of a static deployment name their partitions or connect to every replica.
 */
export class StaticOwnership implements Ownership {
  readonly mode: string;

  constructor(
    private readonly rule: StaticRule,
    private readonly self: { readonly id: string; readonly address: AddressOf },
  ) {
    this.mode = rule.kind === "all" ? "all" : "static";
  }

  owns(task: string, partition: number, partitionCount: number): boolean {
    if (partition < 0 || partition >= partitionCount) return false;
    switch (this.rule.kind) {
      case "all":
        return true;
      case "list":
        return this.rule.partitions.has(partition);
      case "ordinal":
        return staticOrdinalOwns(task, partition, this.rule.replicas, this.rule.ordinal);
    }
  }

  owned(task: string, partitionCount: number): number[] {
    const owned: number[] = [];
    for (let p = 0; p < partitionCount; p++) if (this.owns(task, p, partitionCount)) owned.push(p);
    return owned;
  }

  map(task: string, partitionCount: number): PartitionMap {
    return {
      version: 1n,
      replicas: [
        { id: this.self.id, address: this.self.address(), partitions: this.owned(task, partitionCount) },
      ],
    };
  }

  onChange(): () => void {
    return () => {};
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
