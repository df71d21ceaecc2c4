import test from "ava";
import { parseBenchArgs } from "../bench/lib/options.ts";
import { type BenchResult, ratiosToPeers, tableRow } from "../bench/lib/report.ts";

/*
 * The README table's ratio columns: ours against each peer's BEST row of the same run, where
 * a peer ran at several settings. A rate above the offered load is a backlog being worked off,
 * not a better setting.
 */

function row(
  system: BenchResult["system"],
  value: number,
  extra: { setting?: string; offered?: number; p99?: number; scenario?: string } = {},
): BenchResult {
  return {
    scenario: extra.scenario ?? "fire",
    system,
    ...(extra.setting === undefined ? {} : { setting: extra.setting }),
    store: "redis",
    size: 20_000,
    value,
    unit: "executions/s",
    better: "higher",
    ...(extra.p99 === undefined ? {} : { lag: { p50: 1, p99: extra.p99, max: extra.p99, samples: 10 } }),
    details: extra.offered === undefined ? {} : { offered_per_s: extra.offered },
  };
}

test("ours is compared with each peer's best setting of the run, not its first", (t) => {
  const all = [
    row("bullmq", 9_000, { setting: "concurrency 50", offered: 20_000 }),
    row("bullmq", 12_000, { setting: "concurrency 100", offered: 20_000 }),
    row("bullmq", 10_000, { setting: "concurrency 500", offered: 20_000 }),
    row("pyncette", 2_000, { setting: "1 process", offered: 20_000 }),
    row("pyncette", 4_000, { setting: "4 processes", offered: 20_000 }),
    row("bullmq", 50_000, { scenario: "other" }),
  ];
  const ours = row("partitura", 60_000);
  t.deepEqual(ratiosToPeers(ours, [...all, ours]), { bullmq: "5.0x", pyncette: "15.0x" });
  const line = tableRow(ours, ratiosToPeers(ours, all));
  t.true(line.includes("| 5.0x | 15.0x |"), line);
});

test("rows that kept up tie, whatever their rate above the offered one; the lower lag p99 wins", (t) => {
  const all = [
    row("bullmq", 2_386, { offered: 2_000, p99: 835 }), // a warm-up backlog worked off in the window
    row("bullmq", 1_990, { offered: 2_000, p99: 171 }),
    row("bullmq", 1_200, { offered: 2_000, p99: 50 }), // did not keep up: out of the tie
  ];
  t.deepEqual(ratiosToPeers(row("partitura", 2_000), all), { bullmq: "1.0x" }); // 0.8x against 2,386
  const behind = [
    row("bullmq", 1_200, { offered: 2_000, p99: 50 }),
    row("bullmq", 1_500, { offered: 2_000 }),
  ];
  t.deepEqual(ratiosToPeers(row("partitura", 3_000), behind), { bullmq: "2.0x" });
});

test("where lower is better the lowest peer row is best, and peers' rows get no ratio", (t) => {
  const bytes = (system: BenchResult["system"], value: number): BenchResult => ({
    ...row(system, value),
    scenario: "memory",
    unit: "bytes/instance",
    better: "lower",
  });
  const all = [bytes("bullmq", 1_500), bytes("bullmq", 1_200)];
  t.deepEqual(ratiosToPeers(bytes("partitura", 240), all), { bullmq: "5.0x less" });
  t.deepEqual(ratiosToPeers(all[0] as BenchResult, all), {});
});

test("peer settings come from lists, with defaults by scale, and bad items are named", (t) => {
  const full = parseBenchArgs(["fire"], {}).options;
  t.deepEqual(full.bullmqConcurrency, [50, 100, 200, 500]);
  t.deepEqual(full.pyncetteProcesses, [1, 2, 4, 8]);
  t.false(full.noPyncette);
  const set = parseBenchArgs(
    [
      "fire",
      "--bullmq-concurrency=100,1_000",
      "--pyncette-processes=3",
      "--no-pyncette",
      "--pyncette-src=/x",
    ],
    {},
  ).options;
  t.deepEqual(set.bullmqConcurrency, [100, 1_000]);
  t.deepEqual(set.pyncetteProcesses, [3]);
  t.true(set.noPyncette);
  t.is(set.pyncetteSrc, "/x");
  t.deepEqual(parseBenchArgs(["fire"], { BENCH_BULLMQ_CONCURRENCY: "500" }).options.bullmqConcurrency, [500]);
  t.throws(() => parseBenchArgs(["fire", "--bullmq-concurrency=50,0.5"], {}), {
    message: /--bullmq-concurrency.*"0\.5".*whole number >= 1/,
  });
});
