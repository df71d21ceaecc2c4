import { parseBenchArgs } from "./lib/options.ts";
import { connect, redisVersion } from "./lib/redis.ts";
import { type BenchResult, machine, ratiosToPeers, tableRow, writeResults } from "./lib/report.ts";
import type { Scenario } from "./lib/scenario.ts";
import { useServerRoot } from "./lib/server-process.ts";
import { checkWire } from "./lib/wire-check.ts";
import { burstScenario } from "./scenarios/burst.ts";
import { consoleScenario } from "./scenarios/console.ts";
import { cronScenario } from "./scenarios/cron.ts";
import { fireScenario } from "./scenarios/fire.ts";
import { historyMemoryScenario } from "./scenarios/history-memory.ts";
import { idleScenario } from "./scenarios/idle.ts";
import { lagScenario } from "./scenarios/lag.ts";
import { listLargeScenario } from "./scenarios/list-large.ts";
import { manyPartitionsScenario } from "./scenarios/many-partitions.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { replicasScenario } from "./scenarios/replicas.ts";
import { scaleScenario } from "./scenarios/scale.ts";
import { scaleOutScenario } from "./scenarios/scale-out.ts";
import { scheduleScenario } from "./scenarios/schedule.ts";
import { soakScenario } from "./scenarios/soak.ts";
import { stalledWorkerScenario } from "./scenarios/stalled-worker.ts";
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
  historyMemoryScenario,
  idleScenario,
  scaleScenario,
  burstScenario,
  manyPartitionsScenario,
  stalledWorkerScenario,
  listLargeScenario,
  replicasScenario,
  scaleOutScenario,
  consoleScenario,
  scheduleScenario("sqlite"),
  fireScenario("sqlite"),
  lagScenario("sqlite"),
  scheduleScenario("dynamodb"),
  fireScenario("dynamodb"),
  lagScenario("dynamodb"),
  soakScenario,
];

function usage(): string {
  const lines = SCENARIOS.map((s) => `  ${s.name.padEnd(18)} ${s.summary}`);
  return [
    "usage: npm run bench -- NAME... | all  [--scale=full|small] [--duration=S] [--warmup=S]",
    "       [--sizes=N,N] [--redis=URL] [--dynamodb-endpoint=URL] [--cpu-prof] [--no-bullmq]",
    "       [--bullmq-concurrency=N,N] [--bullmq-in-flight=N,N]   (BullMQ rows; ours vs the best)",
    "       [--pyncette-src=DIR] [--pyncette-processes=N,N] [--no-pyncette]   (Pyncette in fire)",
    "       [--against=CHECKOUT]   (each scenario on CHECKOUT's server first, then on ours)",
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
  // The soak runs only when named: `all` stays a run of minutes, not of a quarter hour more.
  const chosen = names.includes("all") ? SCENARIOS.filter((s) => s !== soakScenario) : names.map(find);
  checkWire();

  const redis = connect(options.redisUrl);
  const version = await redisVersion(redis);
  redis.disconnect();

  const results: BenchResult[] = [];
  const failures: string[] = [];
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  // With --against, each scenario runs on the other tree's server first, then on ours.
  const runs: Array<{ root: string | undefined; before: boolean }> =
    options.against === undefined
      ? [{ root: undefined, before: false }]
      : [
          { root: options.against, before: true },
          { root: undefined, before: false },
        ];
  for (const scenario of chosen) {
    for (const run of runs) {
      useServerRoot(run.root);
      const label = run.before ? `${scenario.name} (before: ${run.root})` : scenario.name;
      log(`--- ${label}: ${scenario.summary}`);
      const started = performance.now();
      try {
        await withinLimit(
          scenario.name,
          scenario.run({
            // The peers' halves (BullMQ, Pyncette) are the same code either way: run them once, with ours.
            options: run.before ? { ...options, noBullmq: true, noPyncette: true } : options,
            log,
            emit: (measured) => {
              const result: BenchResult =
                run.before && measured.system === "partitura"
                  ? { ...measured, system: "partitura (before)" }
                  : measured;
              results.push(result);
              process.stdout.write(`${JSON.stringify(result)}\n`);
              process.stdout.write(`${tableRow(result, ratiosToPeers(result, results))}\n`);
            },
          }),
        );
      } catch (thrown) {
        // One failing scenario must not cost the figures of the others: note it and go on.
        failures.push(label);
        log(
          `${label} FAILED: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`,
        );
      }
      log(`--- ${label} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  useServerRoot(undefined);
  const markdown = await writeResults(results, {
    command: `npm run bench -- ${argv.join(" ")}`.trim(),
    machine: machine(version),
    scale: options.scale,
    complete:
      failures.length === 0 &&
      names.includes("all") &&
      options.scale === "full" &&
      options.sizes === undefined &&
      !options.noBullmq &&
      !options.noPyncette &&
      options.against === undefined &&
      process.env.BENCH_SERVER_ROOT === undefined,
  });
  process.stdout.write(`\n${markdown}`);
  if (failures.length > 0) throw new Error(`scenarios failed: ${failures.join(", ")}`);
}

/** No scenario runs longer than this: a hung server fails the run instead of hanging it. */
const SCENARIO_LIMIT_MS = 20 * 60_000;

function withinLimit(name: string, running: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} did not finish within ${SCENARIO_LIMIT_MS / 60_000} minutes`)),
      SCENARIO_LIMIT_MS,
    );
  });
  return Promise.race([running, limit]).finally(() => clearTimeout(timer));
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
