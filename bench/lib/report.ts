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
  readonly system: "partitura" | "partitura (before)" | Peer;
  /** The setting a peer's row ran at, shown beside its name ("concurrency 100"). */
  readonly setting?: string;
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

/** The other schedulers measured beside ours in the same run, each in a ratio column of its own. */
export const PEERS = ["bullmq", "pyncette"] as const;

/** One of the PEERS. */
export type Peer = (typeof PEERS)[number];

/** Ours against each peer's best row of the same scenario: "7.4x", or "4.5x less" for bytes. */
export type PeerRatios = Partial<Record<Peer, string>>;

const HEADER =
  "| scenario | system | store | size | result | lag p50 / p99 / max (ms) | vs BullMQ (best) | vs Pyncette (best) | target |\n" +
  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |";

/** The Markdown table header the rows below belong to. */
export function tableHeader(): string {
  return HEADER;
}

/** One Markdown row; `ratios` are ours against the peers' best figures from the same run. */
export function tableRow(result: BenchResult, ratios: PeerRatios = {}): string {
  const lag = result.lag ? `${result.lag.p50} / ${result.lag.p99} / ${result.lag.max}` : "";
  const target = result.target ? `${result.target.met ? "met" : "NOT met"}: ${result.target.text}` : "";
  const cells = [
    result.scenario,
    result.setting === undefined ? result.system : `${result.system} (${result.setting})`,
    result.store,
    result.size.toLocaleString("en-US"),
    `${result.value.toLocaleString("en-US")} ${result.unit}`,
    lag,
    ratios.bullmq ?? "",
    ratios.pyncette ?? "",
    target,
  ];
  return `| ${cells.join(" | ")} |`;
}

/**
 * A peer's best row of the same scenario and unit in the same run. A peer runs at several
 * settings (BullMQ's worker concurrency, Pyncette's processes) because its best setting moves
 * from run to run. Best is the highest figure where higher is better, the lowest where lower
 * is. A row that kept up (98 % of its offered rate, `details.offered_per_s`, or more: the
 * bench's `kept_up`) counts as exactly that much, since a rate above the offered one is only a
 * backlog from the warm-up being worked off; between rows that tie so, the lower lag p99 wins.
 */
export function bestPeerRow(
  peer: Peer,
  result: Pick<BenchResult, "scenario" | "unit" | "better">,
  all: readonly BenchResult[],
): BenchResult | undefined {
  let best: { row: BenchResult; figure: number } | undefined;
  for (const row of all) {
    if (row.system !== peer || row.scenario !== result.scenario || row.unit !== result.unit) continue;
    if (row.value === 0) continue;
    const offered = row.details.offered_per_s;
    const figure = typeof offered === "number" ? Math.min(row.value, offered * KEPT_UP) : row.value;
    const ahead =
      result.better === "higher" ? figure > (best?.figure ?? 0) : figure < (best?.figure ?? Infinity);
    const tied = best !== undefined && figure === best.figure && lagP99(row) < lagP99(best.row);
    if (ahead || tied) best = { row, figure };
  }
  return best?.row;
}

/** The share of the offered rate a run must reach to have kept up (as fire's `kept_up`). */
const KEPT_UP = 0.98;

function lagP99(row: BenchResult): number {
  return row.lag?.p99 ?? Number.POSITIVE_INFINITY;
}

/**
 * Ours against each peer's best figure of the same scenario in the same run: "7.4x" where
 * higher is better, "4.5x less" where lower is (bytes). Only rows of ours get ratios.
 */
export function ratiosToPeers(result: BenchResult, all: readonly BenchResult[]): PeerRatios {
  if (result.system !== "partitura" || result.value === 0) return {};
  const ratios: PeerRatios = {};
  for (const peer of PEERS) {
    const theirs = bestPeerRow(peer, result, all);
    if (!theirs) continue;
    ratios[peer] =
      result.better === "higher"
        ? `${(result.value / theirs.value).toFixed(1)}x`
        : `${(theirs.value / result.value).toFixed(1)}x less`;
  }
  return ratios;
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
  const rows = results.map((r) => tableRow(r, ratiosToPeers(r, results)));
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
