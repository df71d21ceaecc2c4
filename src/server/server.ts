import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.ts";
import { ServerReflection as ServerReflectionV1 } from "../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { Config } from "../config.ts";
import type { Clock } from "../domain/clock.ts";
import { ErrorCode, PartituraError, toError } from "../domain/errors.ts";
import { DEFAULT_OVERDUE_SAMPLE_MS, MAX_RECEIVE_MESSAGE_BYTES } from "../domain/limits.ts";
import { describeOwnership } from "../domain/ownership-mode.ts";
import { Engine } from "../engine/engine.ts";
import { createOwnership } from "../engine/ownership/create-ownership.ts";
import type { Ownership } from "../engine/ownership/ownership.ts";
import { SchedulingService } from "../engine/scheduling.ts";
import { instrumentStore } from "../store/instrumented.ts";
import type { Store } from "../store/store.ts";
import { bindService } from "./bind.ts";
import { limitExecuteStreams } from "./execute-stream-limit.ts";
import { executionHandlers, executionRequestDecoders } from "./execution-service.ts";
import { HealthService } from "./health-service.ts";
import { Metrics, serveMetrics } from "./metrics.ts";
import { startOverdueSampler } from "./overdue-sampler.ts";
import { reflectionHandlers, reflectionV1Handlers } from "./reflection-service.ts";
import { schedulerHandlers, schedulerRequestDecoders } from "./scheduler-service.ts";
import { prepareTrust } from "./trust.ts";

/*
 * Keepalive: the server pings an idle connection every 20 s and drops it when no answer
 * comes within 10 s, so a worker that vanished without closing its TCP connection (a killed
 * pod, a pulled cable) is noticed within a minute and its Execute stream's leases released.
 */
const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.keepalive_time_ms": 20_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // A full Schedule batch (10,000 instances) with modest args fits comfortably.
  "grpc.max_receive_message_length": MAX_RECEIVE_MESSAGE_BYTES,
};

/** What startServer needs. The server owns the store from then on and closes it on stop. */
export interface ServerOptions {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  /** The root logger; each component logs through its own child (`component`). */
  readonly logger: Logger;
}

/** A running server. */
export interface PartituraServer extends AsyncDisposable {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** host:port the server is bound to. */
  readonly address: string;
  /** The engine serving executions. */
  readonly engine: Engine;
  /** The port of `/metrics`, when PARTITURA_METRICS_LISTEN asked for it. */
  readonly metricsPort: number | undefined;
  /**
   * Graceful stop: health NOT_SERVING, engine drained up to the grace period, server shut
   * down (forced after the grace), store closed. Idempotent: the same promise every time.
   */
  stop(): Promise<void>;
}

/** Binds the gRPC server with every service and resolves once it accepts calls. */
export async function startServer(options: ServerOptions): Promise<PartituraServer> {
  const { config, clock } = options;
  const logger = options.logger.child({ component: "server" });
  // TLS, tokens and stream bounds (trust.ts); a bad tokens file stops the start here.
  const trust = await Promise.resolve()
    .then(() => prepareTrust(config, options.logger))
    .catch(async (thrown: unknown) => {
      await options.store.close();
      throw thrown;
    });
  // The engine is made below; the metrics read its sizes only when scraped.
  let engine: Engine | undefined;
  const metrics = new Metrics(() => engine?.stats() ?? { streams: 0, pollers: 0, leases: 0 });
  const store = instrumentStore(options.store, metrics.storeObserver);
  engine = new Engine({
    store,
    clock,
    logger: options.logger.child({ component: "engine" }),
    owner: config.replicaId,
    ...(config.maxPollMs === undefined ? {} : { maxPollMs: config.maxPollMs }),
  });
  const health = new HealthService(store);
  let advertised = config.advertise ?? config.listen;
  const ownership = createOwnership(config.ownership ?? { mode: "all" }, {
    store,
    clock,
    id: config.replicaId,
    address: () => advertised,
    logger: options.logger.child({ component: "membership" }),
    changed: (members) => metrics.membershipChanged(members),
  });
  const scheduling = new SchedulingService({
    store,
    clock,
    wake: (task, partition, readyAt) => engine.wake(task, partition, readyAt),
    taskChanged: (name) => engine.taskChanged(name),
  });

  const server = new grpc.Server({ ...SERVER_OPTIONS, ...trust.serverOptions });
  const grpcLogger = options.logger.child({ component: "grpc" });
  const add = (binding: ReturnType<typeof bindService>) =>
    server.addService(binding.definition, binding.implementation);
  add(
    bindService(
      SchedulerService,
      schedulerHandlers(scheduling, (task, count) => ownership.map(task, count)),
      grpcLogger,
      schedulerRequestDecoders,
    ),
  );
  add(
    bindService(
      ExecutionService,
      limitExecuteStreams(
        executionHandlers(engine, grpcLogger, {
          delivered: (batch) => metrics.delivery(clock.now(), batch),
          acked: (statuses) => metrics.acked(statuses),
        }),
        trust.executeStreams,
      ),
      grpcLogger,
      executionRequestDecoders,
    ),
  );
  add(bindService(Health, health.handlers(), grpcLogger));
  if (trust.reflection)
    add(
      bindService(
        ServerReflection,
        reflectionHandlers([SchedulerService, ExecutionService, Health], ServerReflection, grpcLogger),
        grpcLogger,
      ),
    );
  if (trust.reflection)
    add(
      bindService(
        ServerReflectionV1,
        reflectionV1Handlers([SchedulerService, ExecutionService, Health], grpcLogger),
        grpcLogger,
      ),
    );

  let port: number;
  try {
    await trust.ready;
    port = await bind(server, config.listen, trust.credentials);
  } catch (thrown) {
    trust.stop();
    await store.close();
    throw thrown;
  }
  const address = `${config.listen.slice(0, config.listen.lastIndexOf(":"))}:${port}`;
  advertised = config.advertise ?? address;
  let metricsEndpoint: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metricsListen !== undefined) {
    try {
      metricsEndpoint = await serveMetrics(metrics, config.metricsListen);
    } catch (thrown) {
      server.forceShutdown();
      trust.stop();
      await store.close();
      throw new PartituraError(
        ErrorCode.Unavailable,
        `cannot serve metrics on ${config.metricsListen}: ${toError(thrown).message}`,
        { cause: thrown },
      );
    }
  }
  logger.info({ ownership: ownership.mode }, describeOwnership(config.ownership ?? { mode: "all" }));
  await ownership.start();
  const stopSampler =
    metricsEndpoint === undefined
      ? () => {}
      : startOverdueSampler({
          store,
          now: () => clock.now(),
          intervalMs: config.overdueSampleMs ?? DEFAULT_OVERDUE_SAMPLE_MS,
          logger,
          publish: (task, figures) => metrics.overdue(task, figures),
        });
  logger.info({ address, advertised, store: store.kind, metricsPort: metricsEndpoint?.port }, "serving");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= shutdown({
      server,
      engine,
      health,
      store,
      ownership,
      logger,
      graceMs: config.shutdownGraceMs,
      closeMetrics: () => {
        stopSampler();
        trust.stop();
        return metricsEndpoint?.close();
      },
    });
    return stopping;
  };
  return { port, address, engine, metricsPort: metricsEndpoint?.port, stop, [Symbol.asyncDispose]: stop };
}

function bind(server: grpc.Server, listen: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (error, port) => {
      if (error) {
        reject(
          new PartituraError(ErrorCode.Unavailable, `cannot listen on ${listen}: ${error.message}`, {
            cause: error,
          }),
        );
      } else {
        resolve(port);
      }
    });
  });
}

interface Parts {
  readonly server: grpc.Server;
  readonly engine: Engine;
  readonly health: HealthService;
  readonly store: Store;
  readonly ownership: Ownership;
  readonly logger: Logger;
  readonly graceMs: number;
  readonly closeMetrics: () => Promise<void> | undefined;
}

/** The ordered, guarded steps of a graceful stop: a failing step is logged, the next still runs. */
async function shutdown({
  server,
  engine,
  health,
  store,
  ownership,
  logger,
  graceMs,
  closeMetrics,
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
  // The member record goes first, so the other replicas take this one's partitions at once.
  await step("membership", () => ownership.stop());
  await step("health", () => health.setShuttingDown());
  await step("engine", () => engine.shutdown(graceMs));
  await step("health watchers", () => health.close());
  await step("server", () => closeServer(server, Math.max(1_000, deadline - Date.now()), logger));
  await step("store", () => store.close());
  await step("metrics", closeMetrics);
  logger.info("stopped");
}

/** Lets calls in flight finish up to `waitMs`, then cuts the rest. */
function closeServer(server: grpc.Server, waitMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ waitMs }, "calls still open after the grace period; forcing");
      server.forceShutdown();
      resolve();
    }, waitMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
