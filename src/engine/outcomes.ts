import type { HeldLease } from "./lease-table.ts";

/**
 * How an execution this replica saw ended, for the executions metric:
 * - `success`, `failure`: acked so, and the store settled the ack;
 * - `lease_lost`, `not_found`: acked, and refused (the lease had ended or moved on; the instance
 *   or its task was gone);
 * - `expired`: delivered by this replica and not acked before its lease ran out;
 * - `released`: given back unacked because its worker's stream closed (or the server stopped).
 * A late ack of an expired lease counts once as `expired` and again as `lease_lost`.
 */
export type ExecutionOutcome = "success" | "failure" | "lease_lost" | "not_found" | "expired" | "released";

/** Told `count` executions of `task` ended with `outcome`: once per batch, not per execution. */
export type OutcomeObserver = (task: string, outcome: ExecutionOutcome, count: number) => void;

/**
 * Reports a batch as runs of equal (task, outcome), skipping items whose outcome is undefined
 * (not settled): a batch of one stream is one task and
 * mostly one outcome, so this is a single call for the whole batch, with two comparisons an
 * item (task names of one task are usually the same string object).
 */
export function tallyOutcomes(
  observe: OutcomeObserver,
  count: number,
  of: { task(i: number): string; outcome(i: number): ExecutionOutcome | undefined },
): void {
  let task: string | undefined;
  let outcome: ExecutionOutcome = "success";
  let run = 0;
  for (let i = 0; i < count; i++) {
    const nextTask = of.task(i);
    const nextOutcome = of.outcome(i);
    if (nextOutcome === undefined) continue;
    if (nextTask === task && nextOutcome === outcome) {
      run++;
      continue;
    }
    if (task !== undefined) observe(task, outcome, run);
    task = nextTask;
    outcome = nextOutcome;
    run = 1;
  }
  if (task !== undefined) observe(task, outcome, run);
}

/** Leases that ended all alike (expired, released): one call per run of one task. */
export function tallyLeases(
  observe: OutcomeObserver,
  leases: readonly HeldLease[],
  outcome: ExecutionOutcome,
): void {
  tallyOutcomes(observe, leases.length, {
    task: (i) => (leases[i] as HeldLease).ref.task,
    outcome: () => outcome,
  });
}
