import { ErrorCode, PartituraError } from "../domain/errors.ts";

/** The trailer that tells an SDK Worker to read GetPartitionMap again (shared decision 4). */
export const REFRESH_MAP_TRAILER = "partitura-refresh-map";

/**
 * The status an owner-following Execute stream ends with when this replica no longer owns
 * one of its partitions (or owns none of the task): UNAVAILABLE, so any client retries, and a
 * trailer so an SDK Worker re-reads the map at once instead of at its next poll.
 */
export function ownershipMoved(): PartituraError {
  return new PartituraError(
    ErrorCode.Unavailable,
    "partition ownership changed; refresh the partition map (GetPartitionMap)",
    { trailers: { [REFRESH_MAP_TRAILER]: "1" } },
  );
}
