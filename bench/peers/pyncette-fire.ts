import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BenchOptions } from "../lib/options.ts";
import { connect, deleteContaining, freshNamespace } from "../lib/redis.ts";
import type { BenchResult } from "../lib/report.ts";
import { type LagSummary, round1, roundRate } from "../lib/stats.ts";
import { PYTHON, type PyncetteSource } from "./pyncette-source.ts";

/** The driver: our own Python, which runs Pyncette's app (bench/peers/pyncette_fire.py). */
const DRIVER = fileURLToPath(new URL("./pyncette_fire.py", import.meta.url));

/** One run of Pyncette's fire: `count` instances due every second, `processes` worker processes. */
export interface PyncetteFireRun {
  readonly scenario: string;
  readonly options: BenchOptions;
  readonly source: PyncetteSource;
  readonly count: number;
  readonly processes: number;
  /** The task's partition_count (ours uses the same number on Redis). */
  readonly partitions: number;
  readonly log: (message: string) => void;
}

/**
 * Pyncette's side of fire, on the bench's Redis in a fresh redis_namespace that is deleted
 * afterwards. The headline is commits per second inside the window (Pyncette's commit is what
 * our ack is); executions started are in the details as delivered_per_s, as ours are.
 */
export async function runPyncetteFire(run: PyncetteFireRun): Promise<BenchResult> {
  const { scenario, options, count, processes, log } = run;
  const namespace = freshNamespace(`${scenario}-pyncette`);
  const args = [
    DRIVER,
    `--redis-url=${options.redisUrl}`,
    `--namespace=${namespace}`,
    `--count=${count}`,
    `--processes=${processes}`,
    `--partitions=${run.partitions}`,
    `--warmup=${options.warmupS}`,
    `--duration=${options.durationS}`,
    // Pyncette's own knobs (--poll-interval, --batch-size, --concurrency-limit), for tuning it.
    ...(process.env.BENCH_PYNCETTE_ARGS ?? "").split(/\s+/).filter((arg) => arg !== ""),
  ];
  log(`pyncette: ${count} instances, ${processes} processes (${run.source.described})`);
  try {
    const report = await runDriver(args, run.source, log, {
      // Loading (a few thousand registrations a second), the window, and the final commits.
      limitMs: (count / 500 + options.warmupS + options.durationS + 120) * 1000,
    });
    const committed = numberAt(report, "committed_per_s");
    return {
      scenario,
      system: "pyncette",
      setting: `${processes} ${processes === 1 ? "process" : "processes"}`,
      store: "redis",
      size: count,
      value: roundRate(committed),
      unit: "executions/s",
      better: "higher",
      ...lagOf(report),
      details: {
        kept_up: committed >= count * 0.98 ? "yes" : "no",
        offered_per_s: count,
        delivered_per_s: roundRate(numberAt(report, "executed_per_s")),
        processes,
        partitions: run.partitions,
        worker_cpu_percent: round1(numberAt(report, "worker_cpu_percent")),
        redis_cpu_percent: round1(numberAt(report, "redis_cpu_percent")),
        load_s: numberAt(report, "load_s"),
        poll_interval_s: numberAt(report, "poll_interval_s"),
        batch_size: numberAt(report, "batch_size"),
        concurrency_limit: numberAt(report, "concurrency_limit"),
        uvloop: report.uvloop === true ? "yes" : "no",
        hiredis: report.hiredis === true ? "yes" : "no",
        pyncette_version: String(report.pyncette_version),
        window_s: options.durationS,
      },
    };
  } finally {
    const redis = connect(options.redisUrl);
    try {
      await deleteContaining(redis, `pyncette:${namespace}:`);
    } finally {
      redis.disconnect();
    }
  }
}

/** Runs the driver; its stderr goes to the log, its stdout is one JSON object. */
function runDriver(
  args: readonly string[],
  source: PyncetteSource,
  log: (message: string) => void,
  bounds: { readonly limitMs: number },
): Promise<Record<string, unknown>> {
  const env = { ...process.env, ...(source.pythonPath ? { PYTHONPATH: source.pythonPath } : {}) };
  const child = spawn(PYTHON, [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    log(line);
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  // A stuck driver (or one of its worker processes) must not outlive the scenario.
  const timer = setTimeout(() => child.kill("SIGKILL"), bounds.limitMs);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => reject(new Error(`pyncette: cannot start ${PYTHON}: ${err.message}`)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`pyncette driver exited with ${code ?? signal}:\n${tail.join("\n")}`));
        return;
      }
      try {
        const parsed: unknown = JSON.parse(stdout);
        if (typeof parsed !== "object" || parsed === null) throw new Error("not an object");
        resolve({ ...parsed });
      } catch (thrown) {
        reject(new Error(`pyncette driver printed no result (${String(thrown)}): ${stdout.slice(0, 200)}`));
      }
    });
  });
}

function numberAt(report: Record<string, unknown>, key: string): number {
  const value = report[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`pyncette driver: "${key}" is ${JSON.stringify(value)}, not a number`);
  }
  return value;
}

function lagOf(report: Record<string, unknown>): { lag?: LagSummary } {
  const lag = report.lag;
  if (lag === null || typeof lag !== "object") return {};
  const read = { ...lag };
  return {
    lag: {
      p50: numberAt(read, "p50"),
      p99: numberAt(read, "p99"),
      max: numberAt(read, "max"),
      samples: numberAt(read, "samples"),
    },
  };
}
