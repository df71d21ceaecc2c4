import type { SchedulingService } from "../engine/scheduling.ts";
import { type ChangeSummary, type DeadLetterKind, namesByKey, type Pick } from "./pause-change.ts";

/*
 * Requeueing and discarding dead letters from the console: the same picks, confirmation and
 * redirect summary as pause and resume (pause-change.ts), and the service calls the
 * RequeueDeadLetters and DiscardDeadLetters RPCs make, one call per partition key. A pick that
 * is not (or no longer) a dead letter is counted as unchanged, never changed: a requeue
 * racing a second console tab, or a bulk pick of mixed rows, is harmless and says so.
 */

/** Requeues (each runs its failed slot again) or discards (each moves on) the picked dead letters. */
export async function applyDeadLetterChange(
  scheduling: SchedulingService,
  task: string,
  kind: DeadLetterKind,
  picks: readonly Pick[],
): Promise<ChangeSummary> {
  let changed = 0;
  let unchanged = 0;
  let missing = 0;
  for (const [partitionKey, names] of namesByKey(picks)) {
    const target = { names, partitionKey };
    const outcomes =
      kind === "requeue"
        ? await scheduling.requeueDeadLetters(task, target)
        : await scheduling.discardDeadLetters(task, target);
    for (const outcome of outcomes) {
      if (outcome === "done") changed++;
      else if (outcome === "not_found") missing++;
      else unchanged++;
    }
  }
  return { kind, changed, unchanged, missing };
}
