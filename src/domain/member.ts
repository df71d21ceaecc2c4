/** One replica as it announces itself in the store's membership records. */
export interface MemberRecord {
  /** The member id (PARTITURA_REPLICA_ID, HOSTNAME by default); unique among live replicas. */
  readonly id: string;
  /** Where workers reach it (host:port), as GetPartitionMap tells them. */
  readonly address: string;
  /**
   * Epoch ms when this process started. With the join delay it decides when a new member
   * begins to own partitions; every replica reads the same value, so they agree.
   */
  readonly startedAt: number;
}

/** A member record as listed from the store, with the end of its last heartbeat. */
export interface LiveMember extends MemberRecord {
  /** Epoch ms (the writer's clock) after which the member counts as dead. */
  readonly expiresAt: number;
}
