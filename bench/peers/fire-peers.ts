import { byScale } from "../lib/options.ts";
import { type BenchResult, bestPeerRow } from "../lib/report.ts";
import type { ScenarioContext } from "../lib/scenario.ts";
import { runBullmqFire } from "../scenarios/bullmq-fire.ts";
import { runPyncetteFire } from "./pyncette-fire.ts";
import { locatePyncette } from "./pyncette-source.ts";

/** What the peers of fire came to, for our rows' target. */
export interface FirePeers {
  /** BullMQ's best executions/s of this run, as report.ts picks it (undefined when skipped). */
  readonly bullmqBest: number | undefined;
  /**
   * Why the Pyncette half could not run, when it could not. The scenario throws it after its
   * own rows, so the run is marked failed without losing the other figures.
   */
  readonly pyncetteFailure: Error | undefined;
}

/**
 * The peers of fire on Redis, each at the same offered load (20,000 every second; 2,000 small):
 * BullMQ at every worker concurrency of --bullmq-concurrency, then Pyncette at every process
 * count of --pyncette-processes, one row each. Ratios are taken against each peer's best row.
 */
export async function runFirePeers(
  context: ScenarioContext,
  scenario: string,
  partitions: number,
): Promise<FirePeers> {
  const { options, log } = context;
  const count = byScale(options, 20_000, 2_000);
  const bullmqRows: BenchResult[] = [];
  if (!options.noBullmq) {
    for (const concurrency of options.bullmqConcurrency) {
      const row = await runBullmqFire({ scenario, options, count, concurrency, log });
      bullmqRows.push(row);
      context.emit(row);
    }
  }
  const like = { scenario, unit: "executions/s", better: "higher" } as const;
  const bullmqBest = bestPeerRow("bullmq", like, bullmqRows)?.value;
  let pyncetteFailure: Error | undefined;
  if (!options.noPyncette) {
    try {
      const source = await locatePyncette(options.pyncetteSrc);
      for (const processes of options.pyncetteProcesses) {
        context.emit(await runPyncetteFire({ scenario, options, source, count, processes, partitions, log }));
      }
    } catch (thrown) {
      pyncetteFailure = thrown instanceof Error ? thrown : new Error(String(thrown));
      log(
        `${scenario}: Pyncette stopped, our rows follow (the scenario fails after them): ${pyncetteFailure.message}`,
      );
    }
  }
  return { bullmqBest, pyncetteFailure };
}
