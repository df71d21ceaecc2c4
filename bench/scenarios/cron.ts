import { sizesFor } from "../lib/options.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { runSustained } from "../lib/sustained.ts";
import { prepareTarget } from "../lib/targets.ts";
import { fireResult } from "./fire.ts";

/** A 6-field cron (seconds first) that fires every second, read in a zone with DST. */
const CRON = "* * * * * *";
const ZONE = "Europe/Berlin";

/**
 * cron: fire with 6-field crons in a time zone instead of intervals, to show what the cron
 * math costs. A cron's slots fall on whole seconds, so all N are due at once each second (a
 * burst, unlike fire's spread slots): compare executions/s and server CPU per execution with
 * fire, not the lag.
 */
export const cronScenario: Scenario = {
  name: "cron",
  summary: `N crons "${CRON}" in ${ZONE} on redis; executions/s, lag, CPU per execution`,
  run: async (context: ScenarioContext) => {
    const { options } = context;
    for (const count of sizesFor(options, [20_000], [2_000])) {
      context.log(`cron: ${count} instances`);
      const measured = await runSustained({
        target: await prepareTarget("redis", "cron", options),
        options,
        count,
        partitions: Number(process.env.BENCH_PARTITIONS ?? 16),
        schedule: () => ({ kind: "cron", cron: CRON, timezone: ZONE }),
        firstSlot: (_i, start) => start,
        cpuProfDir: profileDir(options, `cron-${count}`),
        log: context.log,
      });
      const result = fireResult("cron", "redis", count, measured);
      const { target: _target, ...rest } = result;
      context.emit({ ...rest, details: { ...result.details, cron: CRON, timezone: ZONE } });
    }
  },
};
