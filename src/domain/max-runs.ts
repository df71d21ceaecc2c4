import { cronAdvance } from "./cron-next.ts";
import { invalid } from "./errors.ts";
import { MAX_CRON_STEPS_PER_CALL } from "./limits.ts";
import type { ScheduleSpec } from "./model.ts";
import { MAX_EPOCH_MS } from "./schedule.ts";

/*
 * max_runs is an end bound in disguise. A Schedule (or PutTask) call turns it into end_at: the
 * time of the N-th slot counted from the first slot that call computes, or the given end_at
 * when sooner. From then on the instance is an end-bounded one (bounds.ts): it is removed
 * after its last run, every store keeps it as it keeps end_at, and nothing counts runs. A
 * re-Schedule counts again from its own first slot, as the proto says. checkMaxRuns
 * (bounds.ts) has refused what cannot be turned.
 *
 * An interval's N-th slot is arithmetic; a cron's is a walk (cronAdvance), which a call shares
 * through one RunLimits: 10,000 instances of one cron scheduled in one call cost one walk.
 */

/** Turns max_runs into end bounds for one call, sharing cron walks and counting their steps. */
export class RunLimits {
  private readonly walks = new Map<string, number>();
  private walked = 0;

  /** `budget`: the cron steps the call may walk (a test's smaller one). */
  constructor(private readonly budget = MAX_CRON_STEPS_PER_CALL) {}

  /** Cron steps walked so far by this call. */
  get steps(): number {
    return this.walked;
  }

  /**
   * `spec` as an instance is stored with it: without maxRuns, and with endAtMs the earlier of
   * its own and the maxRuns-th slot counted from `first` (slot 1), the first slot the call
   * computed. Unchanged when it has no maxRuns. INVALID_ARGUMENT naming `${field}.max_runs`
   * once the call's cron walks pass the budget.
   */
  bound(field: string, spec: ScheduleSpec, first: number): ScheduleSpec {
    const { maxRuns, ...rest } = spec;
    if (maxRuns === undefined) return spec;
    // No stored time may pass MAX_EPOCH_MS: a last slot beyond it is as good as no end.
    const limit = Math.min(spec.endAtMs ?? MAX_EPOCH_MS, MAX_EPOCH_MS);
    const last = Math.min(this.lastSlot(field, spec, first, maxRuns, limit), limit);
    return { ...rest, endAtMs: last };
  }

  /** The runs-th slot from `first`, or a slot past `limit` when the limit comes sooner. */
  private lastSlot(field: string, spec: ScheduleSpec, first: number, runs: number, limit: number): number {
    switch (spec.kind) {
      case "interval":
        return first + (runs - 1) * spec.intervalMs;
      case "at":
        return first;
      case "cron": {
        const key = `${first}|${runs}|${limit}|${spec.timezone}|${spec.cron}`;
        const known = this.walks.get(key);
        if (known !== undefined) return known;
        // Charged after the walk: one walk is at most MAX_RUNS steps past the budget.
        const walk = cronAdvance(spec.cron, spec.timezone, first, runs - 1, limit);
        this.walked += walk.steps;
        if (this.walked > this.budget) {
          throw invalid(
            `${field}.max_runs`,
            `this call's cron max_runs need more than ${this.budget} slots computed (instances with the same cron, zone and first slot share theirs): send fewer distinct crons or start times per call`,
          );
        }
        this.walks.set(key, walk.slot);
        return walk.slot;
      }
    }
  }
}
