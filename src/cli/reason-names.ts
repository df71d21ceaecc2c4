import { ExecutionReason } from "../../gen/ts/partitura/v1/instance_pb.ts";

/*
 * Why an execution ran, as the CLI's tables print it: one table for `history` (a run's
 * reason) and `get`/`list` (an instance's manual_run), so the two never spell it differently.
 */
const REASONS: Record<ExecutionReason, string> = {
  [ExecutionReason.UNSPECIFIED]: "",
  [ExecutionReason.SCHEDULED]: "scheduled",
  [ExecutionReason.RETRY]: "retry",
  [ExecutionReason.TRIGGERED]: "triggered",
  [ExecutionReason.BACKFILL]: "backfill",
};

/** An ExecutionReason as a table cell: "triggered"; "" when unset; the number when unknown. */
export function reasonName(reason: ExecutionReason): string {
  return REASONS[reason] ?? String(reason);
}
