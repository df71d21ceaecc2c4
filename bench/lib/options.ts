import { parseArgs } from "node:util";

/*
 * Every size and duration of the bench comes from one place, so a quick check on a busy
 * machine (`--scale=small`, or BENCH_SCALE=small) runs the very same code paths as the full
 * run the README quotes, only shorter. A flag wins over its environment variable.
 */

/** How big a run is: `full` is what the README quotes; `small` validates in seconds. */
export type Scale = "full" | "small";

/** The options every scenario reads. */
export interface BenchOptions {
  readonly scale: Scale;
  /** Measurement window of the sustained scenarios (fire, lag, cron, idle), seconds. */
  readonly durationS: number;
  /** Seconds run before the window opens, so the backlog of the load does not count. */
  readonly warmupS: number;
  /** Overrides the scenario's instance counts (comma-separated), when given. */
  readonly sizes: readonly number[] | undefined;
  /** The Redis every Redis scenario uses (a fresh namespace each). */
  readonly redisUrl: string;
  /** Where the DynamoDB scenarios find DynamoDB Local; unset means start one. */
  readonly dynamoEndpoint: string | undefined;
  /** Write a CPU profile of the server process into bench/results/ (node --cpu-prof). */
  readonly cpuProf: boolean;
  /** Skip the BullMQ half of the scenarios that have one. */
  readonly noBullmq: boolean;
  /**
   * Worker concurrencies BullMQ's fire runs at, one row each: its best concurrency differs
   * from run to run, so ours is judged against the best row of the same run.
   */
  readonly bullmqConcurrency: readonly number[];
  /** upsertJobScheduler calls in flight BullMQ's schedule runs at, one row each (same reason). */
  readonly bullmqInFlight: readonly number[];
  /** Skip Pyncette in fire. */
  readonly noPyncette: boolean;
  /**
   * Where Pyncette's source is: a checkout, the folder holding the `pyncette` package, or a
   * git repository of it. Unset: the bench's Python must import it already (a venv).
   */
  readonly pyncetteSrc: string | undefined;
  /** Pyncette worker processes (its way to scale out), one row each; ours against the best. */
  readonly pyncetteProcesses: readonly number[];
  /**
   * Another checkout (the state before a change): each chosen scenario runs first against its
   * server, then against this tree's, and both rows land in the same table.
   */
  readonly against: string | undefined;
}

const FLAGS = {
  scale: { type: "string" },
  duration: { type: "string" },
  warmup: { type: "string" },
  sizes: { type: "string" },
  redis: { type: "string" },
  "dynamodb-endpoint": { type: "string" },
  "cpu-prof": { type: "boolean" },
  "no-bullmq": { type: "boolean" },
  "bullmq-concurrency": { type: "string" },
  "bullmq-in-flight": { type: "string" },
  "no-pyncette": { type: "boolean" },
  "pyncette-src": { type: "string" },
  "pyncette-processes": { type: "string" },
  against: { type: "string" },
} as const;

/** Parses `argv` (scenario names and flags) and the BENCH_* environment. */
export function parseBenchArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { names: string[]; options: BenchOptions } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: FLAGS,
    allowPositionals: true,
    strict: true,
  });
  const scaleText = values.scale ?? env.BENCH_SCALE ?? "full";
  if (scaleText !== "full" && scaleText !== "small") {
    throw new Error(`--scale / BENCH_SCALE: "${scaleText}" must be full or small`);
  }
  const scale: Scale = scaleText;
  const durationS = positive(
    "--duration / BENCH_DURATION_S",
    values.duration ?? env.BENCH_DURATION_S,
    {
      full: 20,
      small: 5,
    }[scale],
  );
  const warmupS = positive(
    "--warmup / BENCH_WARMUP_S",
    values.warmup ?? env.BENCH_WARMUP_S,
    {
      full: 5,
      small: 2,
    }[scale],
  );
  const sizesText = values.sizes ?? env.BENCH_SIZES;
  const sizes =
    sizesText === undefined ? undefined : sizesText.split(",").map((s) => positive("--sizes", s, 0));
  return {
    names: positionals.length > 0 ? positionals : ["all"],
    options: {
      scale,
      durationS,
      warmupS,
      sizes,
      redisUrl: values.redis ?? env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0",
      dynamoEndpoint: values["dynamodb-endpoint"] ?? env.BENCH_DYNAMODB_ENDPOINT,
      cpuProf: values["cpu-prof"] ?? env.BENCH_CPU_PROF === "1",
      noBullmq: values["no-bullmq"] ?? env.BENCH_NO_BULLMQ === "1",
      bullmqConcurrency: counts(
        "--bullmq-concurrency / BENCH_BULLMQ_CONCURRENCY",
        values["bullmq-concurrency"] ?? env.BENCH_BULLMQ_CONCURRENCY,
        { full: [50, 100, 200, 500], small: [100, 500] }[scale],
      ),
      bullmqInFlight: counts(
        "--bullmq-in-flight / BENCH_BULLMQ_IN_FLIGHT",
        values["bullmq-in-flight"] ?? env.BENCH_BULLMQ_IN_FLIGHT,
        { full: [16, 64, 256], small: [64] }[scale],
      ),
      noPyncette: values["no-pyncette"] ?? env.BENCH_NO_PYNCETTE === "1",
      pyncetteSrc: values["pyncette-src"] ?? env.BENCH_PYNCETTE_SRC,
      pyncetteProcesses: counts(
        "--pyncette-processes / BENCH_PYNCETTE_PROCESSES",
        values["pyncette-processes"] ?? env.BENCH_PYNCETTE_PROCESSES,
        { full: [1, 2, 4, 8], small: [2] }[scale],
      ),
      against: values.against ?? env.BENCH_AGAINST,
    },
  };
}

/** Picks the scenario's counts: the --sizes override, else its full or small default. */
export function sizesFor(options: BenchOptions, full: readonly number[], small: readonly number[]): number[] {
  return [...(options.sizes ?? (options.scale === "full" ? full : small))];
}

/** Picks one value by scale. */
export function byScale<T>(options: BenchOptions, full: T, small: T): T {
  return options.scale === "full" ? full : small;
}

/** A comma-separated list of whole numbers >= 1 (`50,100,200`), or the fallback when unset. */
function counts(name: string, text: string | undefined, fallback: readonly number[]): number[] {
  if (text === undefined || text === "") return [...fallback];
  return text.split(",").map((item) => {
    const value = Number(item.trim().replace(/_/g, ""));
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${name}: "${item}" in "${text}" must be a whole number >= 1`);
    }
    return value;
  });
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text.replace(/_/g, ""));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: "${text}" must be a positive number`);
  return value;
}
