import { parseBenchArgs } from "./lib/options.ts";
import { connect, redisVersion } from "./lib/redis.ts";
import { type BenchResult, machine, ratioToBullmq, tableRow, writeResults } from "./lib/report.ts";
import type { Scenario } from "./lib/scenario.ts";
import { checkWire } from "./lib/wire-check.ts";
import { cronScenario } from "./scenarios/cron.ts";
import { fireScenario } from "./scenarios/fire.ts";
import { idleScenario } from "./scenarios/idle.ts";
import { lagScenario } from "./scenarios/lag.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { scaleScenario } from "./scenarios/scale.ts";
import { scheduleScenario } from "./scenarios/schedule.ts";
import { wakeScenario } from "./scenarios/wake.ts";

/*
 * `npm run bench -- NAME [NAME...] [--scale=small] [--duration=S] [--sizes=N,N]`: runs the
 * named scenarios (or `all`) one after another, prints each result as a JSON line and a
 * Markdown row as it lands, and at the end the whole table, also written to
 * bench/results/latest.md and latest.json.
 */

const SCENARIOS: readonly Scenario[] = [
  scheduleScenario("redis"),
  fireScenario("redis"),
  lagScenario("redis"),
  cronScenario,
  wakeScenario,
  memoryScenario,
  idleScenario,
  scaleScenario,
  scheduleScenario("sqlite"),
  fireScenario("sqlite"),
  lagScenario("sqlite"),
  scheduleScenario("dynamodb"),
  fireScenario("dynamodb"),
  lagScenario("dynamodb"),
];

function usage(): string {
  const lines = SCENARIOS.map((s) => `  ${s.name.padEnd(18)} ${s.summary}`);
  return [
    "usage: npm run bench -- NAME... | all  [--scale=full|small] [--duration=S] [--warmup=S]",
    "       [--sizes=N,N] [--redis=URL] [--dynamodb-endpoint=URL] [--cpu-prof] [--no-bullmq]",
    "scenarios:",
    ...lines,
  ].join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const { names, options } = parseBenchArgs(argv);
  const chosen = names.includes("all") ? [...SCENARIOS] : names.map(find);
  checkWire();

  const redis = connect(options.redisUrl);
  const version = await redisVersion(redis);
  redis.disconnect();

  const results: BenchResult[] = [];
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  for (const scenario of chosen) {
    log(`--- ${scenario.name}: ${scenario.summary}`);
    const started = performance.now();
    await scenario.run({
      options,
      log,
      emit: (result) => {
        results.push(result);
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.stdout.write(`${tableRow(result, ratioToBullmq(result, results))}\n`);
      },
    });
    log(`--- ${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const markdown = await writeResults(results, {
    command: `npm run bench -- ${argv.join(" ")}`.trim(),
    machine: machine(version),
    scale: options.scale,
    complete:
      names.includes("all") &&
      options.scale === "full" &&
      options.sizes === undefined &&
      !options.noBullmq &&
      process.env.BENCH_SERVER_ROOT === undefined,
  });
  process.stdout.write(`\n${markdown}`);
}

function find(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario "${name}"\n${usage()}`);
  return scenario;
}

main().then(
  () => process.exit(0),
  (thrown: unknown) => {
    process.stderr.write(
      `bench failed: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}\n`,
    );
    process.exit(1);
  },
);
