import type { ScheduleSpec } from "../../src/domain/model.ts";
import { sizesFor } from "../lib/options.ts";
import { profileDir, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { runSustained } from "../lib/sustained.ts";
import { prepareTarget, type StoreKind } from "../lib/targets.ts";

const SIZES: Record<StoreKind, { full: number[]; small: number[]; partitions: number }> = {
  redis: { full: [10_000], small: [2_000], partitions: 16 },
  sqlite: { full: [1_000], small: [200], partitions: 4 },
  dynamodb: { full: [100], small: [50], partitions: 4 },
};

const EVERY_SECOND: ScheduleSpec = { kind: "interval", intervalMs: 1_000 };

/**
 * lag: instances due every second with their slots spread evenly over the second (10,000 on
 * Redis: 10,000 executions/s), so the load is steady; the figure is the p99 of delivered
 * time minus slot.
 */
export function lagScenario(kind: StoreKind): Scenario {
  const name = kind === "redis" ? "lag" : `${kind}-lag`;
  return {
    name,
    summary: `instances due every second, spread over the second, on ${kind}; lag p50/p99/max`,
    run: async (context: ScenarioContext) => {
      const { options } = context;
      const sizes = SIZES[kind];
      for (const count of sizesFor(options, sizes.full, sizes.small)) {
        context.log(`${name}: ${count} instances on ${kind}`);
        const measured = await runSustained({
          target: await prepareTarget(kind, name, options),
          options,
          count,
          partitions: Number(process.env.BENCH_PARTITIONS ?? sizes.partitions),
          schedule: () => EVERY_SECOND,
          firstSlot: (i, start) => start + Math.floor((i * 1000) / count),
          cpuProfDir: profileDir(options, `${name}-${count}`),
          log: context.log,
        });
        const p99 = measured.lag?.p99 ?? Number.NaN;
        context.emit({
          scenario: name,
          system: "partitura",
          store: kind,
          size: count,
          value: p99,
          unit: "ms lag p99",
          better: "lower",
          ...(measured.lag ? { lag: measured.lag } : {}),
          ...(kind === "redis" ? { target: { text: "p99 <= 20 ms at 10,000/s", met: p99 <= 20 } } : {}),
          details: {
            executions_per_s: measured.ackedPerSecond,
            server_cpu_percent: measured.serverCpuPercent,
            ...(measured.redisCpuPercent === undefined
              ? {}
              : { redis_cpu_percent: measured.redisCpuPercent }),
            ...measured.details,
          },
        });
      }
    },
  };
}
