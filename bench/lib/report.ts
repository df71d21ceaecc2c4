import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LagSummary } from "./stats.ts";

/** One measured figure of one scenario run. */
export interface BenchResult {
  /** The scenario name as typed on the command line (`fire`, `sqlite-lag`, ...). */
  readonly scenario: string;
  /** `partitura (before)` is the `--against` tree's server, measured in the same run. */
  readonly system: "partitura" | "partitura (before)" | "bullmq";
  /** "redis", "sqlite" or "dynamodb". */
  readonly store: string;
  /** Instances (or job schedulers, or tries) the run used. */
  readonly size: number;
  /** The headline figure, and which direction is better (for the ratio to BullMQ). */
  readonly value: number;
  readonly unit: string;
  readonly better: "higher" | "lower";
  readonly lag?: LagSummary;
  /** The target for this figure, and whether this run met it. */
  readonly target?: { readonly text: string; readonly met: boolean };
  /** Everything else worth keeping (secondary figures, settings). */
  readonly details: Readonly<Record<string, number | string>>;
}

const HEADER =
  "| scenario | system | store | size | result | lag p50 / p99 / max (ms) | vs BullMQ | target |\n" +
  "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |";

/** The Markdown table header the rows below belong to. */
export function tableHeader(): string {
  return HEADER;
}

/** One Markdown row; `ratio` is ours against BullMQ's figure from the same run. */
export function tableRow(result: BenchResult, ratio?: string): string {
  const lag = result.lag ? `${result.lag.p50} / ${result.lag.p99} / ${result.lag.max}` : "";
  const target = result.target ? `${result.target.met ? "met" : "NOT met"}: ${result.target.text}` : "";
  const cells = [
    result.scenario,
    result.system,
    result.store,
    result.size.toLocaleString("en-US"),
    `${result.value.toLocaleString("en-US")} ${result.unit}`,
    lag,
    ratio ?? "",
    target,
  ];
  return `| ${cells.join(" | ")} |`;
}

/**
 * Ours against BullMQ's figure of the same scenario in the same run: "7.4x" where higher is
 * better, "4.5x less" where lower is (bytes).
 */
export function ratioToBullmq(result: BenchResult, all: readonly BenchResult[]): string | undefined {
  if (result.system !== "partitura") return undefined;
  const theirs = all.find(
    (r) => r.system === "bullmq" && r.scenario === result.scenario && r.unit === result.unit,
  );
  if (!theirs || theirs.value === 0 || result.value === 0) return undefined;
  return result.better === "higher"
    ? `${(result.value / theirs.value).toFixed(1)}x`
    : `${(theirs.value / result.value).toFixed(1)}x less`;
}

/** The machine a run happened on, for the README line under the table. */
export function machine(redisVersion: string): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, Redis ${redisVersion}`;
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

/**
 * Writes the run's table and results: to bench/results/latest.md and latest.json when
 * `complete` (every scenario at full scale with default sizes: the figures the README quotes),
 * else to last-run.md and last-run.json, which git ignores, so a partial or small run never
 * overwrites the quoted figures. Returns the Markdown.
 */
export async function writeResults(
  results: readonly BenchResult[],
  meta: {
    readonly command: string;
    readonly machine: string;
    readonly scale: string;
    readonly complete: boolean;
  },
): Promise<string> {
  const rows = results.map((r) => tableRow(r, ratioToBullmq(r, results)));
  const markdown = [
    `Command: \`${meta.command}\` (scale ${meta.scale}), ${new Date().toISOString()}`,
    `Machine: ${meta.machine}; server, Redis and load generator on the same machine.`,
    "",
    HEADER,
    ...rows,
    "",
  ].join("\n");
  const base = join(RESULTS_DIR, meta.complete ? "latest" : "last-run");
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(`${base}.md`, markdown);
  await writeFile(`${base}.json`, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  return markdown;
}

/** The folder profiles and results go to. */
export function resultsDir(): string {
  return RESULTS_DIR;
}
