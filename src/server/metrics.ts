import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Delivery } from "../engine/delivery.ts";
import type { EngineStats } from "../engine/engine.ts";
import type { OutcomeObserver } from "../engine/outcomes.ts";
import type { RetryObserver } from "../engine/retries.ts";
import type { ClaimObserver, StoreObserver } from "../store/instrumented.ts";

/*
 * Prometheus metrics. Counters are bumped once per batch (a message of executions, an Ack
 * call), never once per execution through a label lookup, so the hot path pays a few adds.
 */

/** Lag buckets (seconds): from a millisecond to a minute, where misfire grace usually sits. */
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Claim sizes (instances): 0 is a claim that found nothing due; the engine claims 256 at most by default. */
const CLAIM_BUCKETS = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** The metrics one server process exports. */
export class Metrics {
  readonly registry = new Registry();
  private readonly delivered: Counter<"task">;
  private readonly lag: Histogram<"task">;
  private readonly acks: Counter<"status">;
  private readonly storeSeconds: Histogram<"operation" | "outcome">;
  private readonly executions: Counter<"task" | "outcome">;
  private readonly claimSizes: Histogram<"task">;
  private readonly retryEvents: Counter<"task" | "event">;

  constructor(stats: () => EngineStats) {
    const registers = [this.registry];
    this.delivered = new Counter({
      name: "partitura_executions_delivered_total",
      help: "Executions handed to workers.",
      labelNames: ["task"],
      registers,
    });
    this.lag = new Histogram({
      name: "partitura_execution_lag_seconds",
      help: "Time from an execution's scheduled slot to its delivery.",
      labelNames: ["task"],
      buckets: LAG_BUCKETS,
      registers,
    });
    this.acks = new Counter({
      name: "partitura_acks_total",
      help: "Acknowledgements by result (ok, lease_lost, not_found).",
      labelNames: ["status"],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: "partitura_store_operation_seconds",
      help: "Latency of store operations.",
      labelNames: ["operation", "outcome"],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.retryEvents = new Counter({
      name: "partitura_retry_events_total",
      help: "What retry policies did: retried (a failed attempt runs again after its backoff), then, when the attempts ran out, continued, paused or dead_lettered; and dead letters requeued or discarded.",
      labelNames: ["task", "event"],
      registers,
    });
    this.executions = new Counter({
      name: "partitura_executions_total",
      help:
        "Executions that ended, by task and outcome: success and failure as acked and settled; " +
        "lease_lost and not_found for acks refused; expired for leases that ran out unacked " +
        "here; released for executions given back when their worker's stream closed.",
      labelNames: ["task", "outcome"],
      registers,
    });
    this.claimSizes = new Histogram({
      name: "partitura_claim_batch_size",
      help: "Instances taken per claim of a partition (0: nothing was due after all).",
      labelNames: ["task"],
      buckets: CLAIM_BUCKETS,
      registers,
    });
    const gauge = (name: string, help: string, read: (s: EngineStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(stats()));
        },
      });
    gauge("partitura_in_flight_leases", "Executions delivered and not yet acked.", (s) => s.leases);
    gauge("partitura_execute_streams", "Open Execute streams.", (s) => s.streams);
    gauge("partitura_polled_partitions", "Partitions this replica polls now.", (s) => s.pollers);
    this.overdueInstances = new Gauge({
      name: "partitura_overdue_instances",
      help: "Instances due longer than their task's misfire grace ago and not claimed (sampled).",
      labelNames: ["task"],
      registers,
    });
    this.oldestOverdue = new Gauge({
      name: "partitura_oldest_overdue_seconds",
      help: "Age of the oldest overdue, unclaimed instance of a task, past its due time (sampled; 0 when none).",
      labelNames: ["task"],
      registers,
    });
  }

  private readonly overdueInstances: Gauge<"task">;
  private readonly oldestOverdue: Gauge<"task">;

  /** One task's overdue figures from the sampler; undefined removes the task's series. */
  overdue(task: string, figures: { count: number; oldestSeconds: number } | undefined): void {
    if (figures === undefined) {
      this.overdueInstances.remove({ task });
      this.oldestOverdue.remove({ task });
      return;
    }
    this.overdueInstances.set({ task }, figures.count);
    this.oldestOverdue.set({ task }, figures.oldestSeconds);
  }

  /** Ownership (issue 10): members counted after a membership change. */
  readonly #members = new Gauge({
    name: "partitura_members",
    help: "Members that own partitions, as this replica sees them (membership mode).",
    registers: [this.registry],
  });
  readonly #membershipChanges = new Counter({
    name: "partitura_membership_changes_total",
    help: "Times this replica saw the set of owning members change.",
    registers: [this.registry],
  });
  readonly #owned = new Gauge({
    name: "partitura_owned_partitions",
    help: "Partitions of a task this replica owns.",
    labelNames: ["task"],
    registers: [this.registry],
  });

  /** The owning members changed; `members` of them now. */
  membershipChanged(members: number): void {
    this.#members.set(members);
    this.#membershipChanges.inc();
  }

  /** How many partitions of `task` this replica owns now (set by whoever recomputes them). */
  ownedPartitions(task: string, count: number): void {
    this.#owned.set({ task }, count);
  }

  /** One message of executions (all of one task) went to a worker at `now`. */
  delivery(now: number, batch: readonly Delivery[]): void {
    const task = batch[0]?.task;
    if (task === undefined) return;
    this.delivered.inc({ task }, batch.length);
    const lag = this.lag.labels({ task });
    // From when the slot was due to go out: a jittered slot is not late by its jitter.
    for (const delivery of batch) {
      lag.observe(Math.max(0, now - (delivery.dueAt ?? delivery.scheduledAt)) / 1000);
    }
  }

  /** Results of one Ack call. */
  acked(statuses: readonly string[]): void {
    let ok = 0;
    for (const status of statuses) {
      if (status === "ok") ok++;
      else this.acks.inc({ status });
    }
    if (ok > 0) this.acks.inc({ status: "ok" }, ok);
  }

  /**
   * Adds the standard process and Node.js metrics (process_cpu_seconds_total,
   * nodejs_heap_size_used_bytes, ...) so stock dashboards work. Only when metrics are served:
   * their event-loop monitor wakes the process 100 times a second, which an idle scheduler
   * that nobody scrapes should not pay.
   */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** For instrumentStore. */
  readonly storeObserver: StoreObserver = (operation, seconds, failed) => {
    this.storeSeconds.observe({ operation, outcome: failed ? "error" : "ok" }, seconds);
  };

  /** For instrumentStore: one claim's size. */
  readonly claimObserver: ClaimObserver = (task, claimed) => {
    this.claimSizes.observe({ task }, claimed);
  };

  /** For the engine: `count` executions of `task` ended with `outcome` (one call per batch). */
  readonly outcomeObserver: OutcomeObserver = (task, outcome, count) => {
    this.executions.inc({ task, outcome }, count);
  };

  /** For the engine and the scheduling service: what retry policies and dead-letter calls did. */
  readonly retryObserver: RetryObserver = (task, event, count) => {
    this.retryEvents.inc({ task, event }, count);
  };
}

/** Serves `GET /metrics` on `listen` (host:port); resolves with the bound port. */
export async function serveMetrics(
  metrics: Metrics,
  listen: string,
): Promise<{ port: number; close(): Promise<void> }> {
  metrics.collectProcessMetrics();
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(at + 1));
  const server: Server = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end("try /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      (thrown: unknown) => response.writeHead(500).end(String(thrown)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
