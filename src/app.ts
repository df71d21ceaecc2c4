import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { type RunningConsole, startConsole } from "./console/console-server.ts";
import type { Clock } from "./domain/clock.ts";
import { toError } from "./domain/errors.ts";
import { describeOwnership } from "./domain/ownership-mode.ts";
import { Engine, type EngineStats } from "./engine/engine.ts";
import { createOwnership } from "./engine/ownership/create-ownership.ts";
import type { Ownership } from "./engine/ownership/ownership.ts";
import { SchedulingService } from "./engine/scheduling.ts";
import { Metrics } from "./server/metrics.ts";
import { type BoundServer, startServer } from "./server/server.ts";
import { instrumentStore } from "./store/instrumented.ts";
import { openStore } from "./store/open.ts";
import type { Store } from "./store/store.ts";

/*
 * The application, assembled in one place (DESIGN.md, issue 9): config -> store -> metrics ->
 * ownership -> engine -> scheduling -> server, and the ordered, guarded stop that takes them
 * down in reverse. main.ts adds only the process around it (signals, exit codes); tests start
 * the same assembly in-process.
 */

/** What startApp needs. */
export interface AppOptions {
  readonly config: Config;
  readonly clock: Clock;
  /** The root logger; each component logs through its own child (`component`). */
  readonly logger: Logger;
  /**
   * An opened store the app takes over (it closes it on stop, or when the start fails).
   * Absent: opened from `config.store`.
   */
  readonly store?: Store;
}

/** A running Partitura. */
export interface App extends AsyncDisposable {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** host:port the server is bound to. */
  readonly address: string;
  /** The engine serving executions. */
  readonly engine: Engine;
  /** Which partitions this replica owns, as GetPartitionMap tells workers. */
  readonly ownership: Ownership;
  /** The port of `/metrics`, when PARTITURA_METRICS_LISTEN asked for it. */
  readonly metricsPort: number | undefined;
  /** The port of the web console, when PARTITURA_CONSOLE_LISTEN asked for it. */
  readonly consolePort: number | undefined;
  /**
   * Graceful stop: member record deleted (the partitions move at once), health NOT_SERVING,
   * engine drained up to the grace period, server shut down (forced after the grace), store
   * closed. Idempotent: the same promise every time.
   */
  stop(): Promise<void>;
}

const NO_STATS: EngineStats = { streams: 0, pollers: 0, leases: 0 };

/** Assembles and starts every part; resolves once the server accepts calls and ownership runs. */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, clock, logger } = options;
  const opened = options.store ?? (await openStore(config.store, logger.child({ component: "store" })));
  // The engine is made below; the metrics read its sizes only when scraped.
  let engine: Engine | undefined;
  const metrics = new Metrics(() => engine?.stats() ?? NO_STATS);
  const store = instrumentStore(opened, metrics.storeObserver, metrics.claimObserver);
  // Where workers reach this replica; known once the port is bound (port 0 in tests).
  let advertised = config.advertise ?? config.listen;
  const ownershipMode = config.ownership ?? { mode: "all" as const };
  let ownership: Ownership;
  try {
    ownership = createOwnership(ownershipMode, {
      store,
      clock,
      id: config.replicaId,
      address: () => advertised,
      logger: logger.child({ component: "membership" }),
      changed: (members) => metrics.membershipChanged(members),
    });
  } catch (thrown) {
    await store.close();
    throw thrown;
  }
  const running = new Engine({
    store,
    clock,
    logger: logger.child({ component: "engine" }),
    owner: config.replicaId,
    ownership,
    ownedPartitions: (task, count) => metrics.ownedPartitions(task, count),
    outcomes: metrics.outcomeObserver,
    retries: metrics.retryObserver,
    ...(config.maxPollMs === undefined ? {} : { maxPollMs: config.maxPollMs }),
  });
  engine = running;
  const scheduling = new SchedulingService({
    store,
    clock,
    wake: (task, partition, readyAt) => running.wake(task, partition, readyAt),
    taskChanged: (name) => running.taskChanged(name),
    retries: metrics.retryObserver,
  });
  let server: BoundServer;
  try {
    server = await startServer({
      config,
      store,
      clock,
      logger,
      engine: running,
      scheduling,
      ownership,
      metrics,
    });
  } catch (thrown) {
    await running.shutdown(0);
    await store.close();
    throw thrown;
  }
  advertised = config.advertise ?? server.address;
  // The console (issue 15) reads through the same parts the handlers use, next to /metrics.
  let webConsole: RunningConsole | undefined;
  if (config.consoleListen !== undefined) {
    try {
      webConsole = await startConsole(
        {
          store,
          clock,
          scheduling,
          ownership,
          stats: () => running.stats(),
          metrics,
          replicaId: config.replicaId,
          logger,
        },
        {
          listen: config.consoleListen,
          allowRemote: config.consoleAllowRemote ?? false,
          authTokensFile: config.authTokensFile,
          tls:
            config.tlsCert === undefined || config.tlsKey === undefined
              ? undefined
              : { certFile: config.tlsCert, keyFile: config.tlsKey },
        },
      );
    } catch (thrown) {
      await server.close(0);
      await server.closeExtras();
      await running.shutdown(0);
      await store.close();
      throw thrown;
    }
  }
  const log = logger.child({ component: "server" });
  log.info({ ownership: ownership.mode }, describeOwnership(ownershipMode));
  await ownership.start();
  log.info(
    { address: server.address, advertised, store: store.kind, metricsPort: server.metricsPort },
    "serving",
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= shutdown({
      server,
      engine: running,
      store,
      ownership,
      logger: log,
      graceMs: config.shutdownGraceMs,
      webConsole,
    });
    return stopping;
  };
  return {
    port: server.port,
    address: server.address,
    engine: running,
    ownership,
    metricsPort: server.metricsPort,
    consolePort: webConsole?.port,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

interface Parts {
  readonly server: BoundServer;
  readonly engine: Engine;
  readonly store: Store;
  readonly ownership: Ownership;
  readonly logger: Logger;
  readonly graceMs: number;
  readonly webConsole: RunningConsole | undefined;
}

/** The ordered, guarded steps of a graceful stop: a failing step is logged, the next still runs. */
async function shutdown({
  server,
  engine,
  store,
  ownership,
  logger,
  graceMs,
  webConsole,
}: Parts): Promise<void> {
  const deadline = Date.now() + graceMs;
  logger.info({ graceMs }, "shutting down");
  const step = async (name: string, run: () => Promise<void> | void) => {
    try {
      await run();
    } catch (thrown) {
      logger.error({ err: toError(thrown), step: name }, "shutdown step failed");
    }
  };
  /*
   * The member record goes first, so the other replicas take this one's partitions at their
   * next heartbeat; owning nothing from then on, the engine ends its owner-following streams
   * with the refresh-map status, and their workers go to the new owners at once (their
   * executions in flight still finish and ack here while the engine drains).
   */
  await step("membership", () => ownership.stop());
  await step("health", () => server.setShuttingDown());
  await step("engine", () => engine.shutdown(graceMs));
  await step("server", () => server.close(Math.max(1_000, deadline - Date.now())));
  // The console reads the store, so it closes before the store does (its live views end).
  await step("console", () => webConsole?.close());
  // Before the store too: the overdue sampler reads it (a sample after the close only fails).
  await step("metrics", () => server.closeExtras());
  await step("store", () => store.close());
  logger.info("stopped");
}
