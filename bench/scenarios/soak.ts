import { RawClient } from "../lib/grpc-raw.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { byScale, sizesFor } from "../lib/options.ts";
import { freePort, type MemoryReading, readMemory } from "../lib/process-memory.ts";
import { rssMb } from "../lib/rss.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { type ServerProcess, startServerProcess } from "../lib/server-process.ts";
import { SlotLedger } from "../lib/slot-ledger.ts";
import { sleep } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";
import { BenchWorker } from "../lib/worker.ts";

/*
 * soak (issue 13, not in CI): 100,000 interval instances on Redis, their first slots spread
 * evenly over one interval so the load is steady, for at least 10 minutes (small scale: 10,000
 * for 1 minute; --duration=S runs longer, never shorter). A third of the way in the worker is
 * cut (its streams cancelled, no worker for a while), two thirds in the server is restarted
 * (SIGTERM, a new process on the same store). Figures: server RSS at the start, its peak and at
 * the end (per process and overall), and a ledger of every slot delivered: none due before the
 * end may be missing or skipped; redeliveries (allowed, at-least-once) are counted. Each server
 * serves /metrics, and the soak reads its heap figures every second beside the RSS (logged every
 * 10 s, summed up per process), so a growing RSS can be told from a growing heap.
 */

const TASK = "soak";
const PARTITIONS = 16;
/** How long the slots due at the end get to arrive before the ledger is read. */
const DRAIN_MS = 10_000;

/** One server process and the worker on it. */
interface Replica {
  readonly server: ServerProcess;
  readonly client: RawClient;
  readonly metricsPort: number;
  worker: BenchWorker | undefined;
}

/** Memory of one server process over its life. */
interface ProcessMemory {
  readonly pid: number;
  readonly began: number;
  readonly start: number;
  peak: number;
  end: number;
  readonly readings: MemoryReading[];
}

/**
 * The lowest heap used in the first and in the second half of a process's readings, "a/b": read
 * every second, the lowest comes just after a major collection, so it follows the live heap. A
 * leak raises b over a; V8 growing its heap (a larger old generation before it collects,
 * which is what raises the RSS) does not.
 */
function heapFloors(readings: readonly MemoryReading[]): string {
  const half = Math.floor(readings.length / 2);
  const floor = (part: readonly MemoryReading[]) =>
    part.length === 0 ? "-" : String(Math.min(...part.map((r) => r.heapUsed)));
  return `${floor(readings.slice(0, half))}/${floor(readings.slice(half))}`;
}

/** "start/peak/end" of one figure over a process's readings. */
function span(readings: readonly MemoryReading[], figure: keyof MemoryReading): string {
  const values = readings.map((r) => r[figure]);
  if (values.length === 0) return "-";
  return `${values[0]}/${Math.max(...values)}/${values.at(-1)}`;
}

export const soakScenario: Scenario = {
  name: "soak",
  summary:
    "100,000 instances for 10+ min, a worker cut and a server restart: RSS start/peak/end, every slot delivered",
  run: async (context: ScenarioContext) => {
    const { options, log } = context;
    const [count = 100_000] = sizesFor(options, [100_000], [10_000]);
    const intervalMs = byScale(options, 120_000, 20_000);
    const durationMs = Math.max(options.durationS, byScale(options, 600, 60)) * 1000;
    const cutMs = byScale(options, 30_000, 5_000);
    const target = await prepareTarget("redis", "soak", options);
    const start = Date.now() + 5_000;
    const first = (n: number) => start + Math.floor((n * intervalMs) / count);
    const ledger = new SlotLedger(count, first, intervalMs);
    const store = await openBenchStore(target.url);
    try {
      const task = { ...benchTask(TASK, PARTITIONS), leaseMs: 10_000 };
      await store.putTask(task);
      await loadInstances(store, task, {
        count,
        schedule: () => ({ kind: "interval", intervalMs }),
        nextRunAt: first,
      });
    } finally {
      await store.close();
    }
    const rss: ProcessMemory[] = [];
    const startReplica = async (id: string): Promise<Replica> => {
      const metricsPort = await freePort();
      const server = await startServerProcess({
        store: target.url,
        replicaId: id,
        env: { PARTITURA_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
      });
      const client = new RawClient(server.address);
      await client.ready();
      rss.push({
        pid: server.pid,
        began: Date.now(),
        start: rssMb(server.pid),
        peak: 0,
        end: 0,
        readings: [],
      });
      return { server, client, metricsPort, worker: undefined };
    };
    const startWorker = (replica: Replica) => {
      const worker = new BenchWorker(replica.client, { task: TASK, streams: 2, maxInFlight: 2_000 });
      worker.onDelivery = (_at, slot, leaseId) => ledger.record(slot, leaseId);
      worker.start();
      replica.worker = worker;
    };
    const sample = async () => {
      const current = rss.at(-1);
      if (current === undefined) return;
      current.end = rssMb(current.pid);
      current.peak = Math.max(current.peak, current.end);
      const reading = await readMemory(replica.metricsPort).catch(() => undefined);
      if (reading === undefined) return;
      current.readings.push(reading);
      if (current.readings.length % 10 === 1) {
        const s = Math.round((Date.now() - current.began) / 1000);
        log(
          `soak memory, server ${current.pid} at ${s} s: rss ${reading.rss} MB, heap used ` +
            `${reading.heapUsed} of ${reading.heapTotal} MB (new space ${reading.newSpace}), external ${reading.external} MB`,
        );
      }
    };

    let replica = await startReplica("soak-1");
    startWorker(replica);
    const began = Date.now();
    const at = (fraction: number) => began + fraction * durationMs;
    const events: string[] = [];
    let cut = false;
    let restarted = false;
    try {
      while (Date.now() < began + durationMs) {
        await sleep(1_000);
        await sample();
        if (!cut && Date.now() >= at(1 / 3)) {
          cut = true;
          log(`soak: cutting the worker for ${cutMs / 1000} s`);
          replica.worker?.close();
          await sleep(cutMs);
          startWorker(replica);
          events.push(`worker cut ${cutMs / 1000} s at ${Math.round((at(1 / 3) - began) / 1000)} s`);
        }
        if (!restarted && Date.now() >= at(2 / 3)) {
          restarted = true;
          log("soak: restarting the server");
          await sample();
          replica.worker?.close();
          replica.client.close();
          const stopping = Date.now();
          await replica.server.stop();
          replica = await startReplica("soak-2");
          startWorker(replica);
          events.push(
            `server restart at ${Math.round((stopping - began) / 1000)} s took ${Date.now() - stopping} ms`,
          );
        }
      }
      const cutoff = Date.now() - 2_000;
      await sleep(DRAIN_MS);
      await sample();
      const found = ledger.report(cutoff);
      const peak = Math.max(...rss.map((r) => r.peak));
      const [firstRss, lastRss] = [rss[0], rss.at(-1)];
      const ok = found.missing === 0 && found.skipped === 0 && found.foreign === 0;
      context.emit({
        scenario: "soak",
        system: "partitura",
        store: "redis",
        size: count,
        value: peak,
        unit: "MB peak RSS (server)",
        better: "lower",
        target: { text: "every slot delivered", met: ok },
        details: {
          duration_s: durationMs / 1000,
          interval_ms: intervalMs,
          rate_per_s: Math.round((count * 1000) / intervalMs),
          rss_start_mb: firstRss?.start ?? 0,
          rss_peak_mb: peak,
          rss_end_mb: lastRss?.end ?? 0,
          rss_per_process: rss.map((r) => `${r.start}/${r.peak}/${r.end}`).join(", "),
          heap_used_per_process: rss.map((r) => span(r.readings, "heapUsed")).join(", "),
          heap_used_floor_per_process: rss.map((r) => heapFloors(r.readings)).join(", "),
          heap_total_per_process: rss.map((r) => span(r.readings, "heapTotal")).join(", "),
          new_space_per_process: rss.map((r) => span(r.readings, "newSpace")).join(", "),
          external_per_process: rss.map((r) => span(r.readings, "external")).join(", "),
          slots_delivered: found.delivered,
          slots_redelivered: found.redelivered,
          slots_skipped: found.skipped,
          slots_missing: found.missing,
          events: events.join("; "),
          ...(replica.worker?.ackSummary() ?? {}),
        },
      });
    } finally {
      replica.worker?.close();
      replica.client.close();
      await replica.server.stop();
      await target.cleanup();
    }
  },
};
