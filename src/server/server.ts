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
import type { Engine } from "../engine/engine.ts";
import type { Ownership } from "../engine/ownership/ownership.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import type { Store } from "../store/store.ts";
import { bindService } from "./bind.ts";
import { limitExecuteStreams } from "./execute-stream-limit.ts";
import { executionHandlers, executionRequestDecoders } from "./execution-service.ts";
import { HealthService } from "./health-service.ts";
import { type Metrics, serveMetrics } from "./metrics.ts";
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

/** What startServer serves: the parts src/app.ts assembled. */
export interface ServerParts {
  readonly config: Config;
  /** The store as the engine uses it (instrumented): health and the overdue sampler read it. */
  readonly store: Store;
  readonly clock: Clock;
  /** The root logger; each component logs through its own child (`component`). */
  readonly logger: Logger;
  readonly engine: Engine;
  readonly scheduling: SchedulingService;
  /** Answers GetPartitionMap. */
  readonly ownership: Pick<Ownership, "map">;
  readonly metrics: Metrics;
}

/** A bound gRPC server; src/app.ts runs its stop steps in order. */
export interface BoundServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** host:port the server is bound to. */
  readonly address: string;
  /** The port of `/metrics`, when PARTITURA_METRICS_LISTEN asked for it. */
  readonly metricsPort: number | undefined;
  /** Health turns NOT_SERVING (probes take the replica out of rotation). */
  setShuttingDown(): void;
  /** Ends health watchers, lets calls in flight finish up to `waitMs`, then cuts the rest. */
  close(waitMs: number): Promise<void>;
  /** Stops the overdue sampler, the TLS file watch and the metrics endpoint. */
  closeExtras(): Promise<void> | undefined;
}

/**
 * Binds the gRPC server with every service and resolves once it accepts calls. On a failed
 * start nothing of it keeps running; the caller still owns (and closes) the store.
 */
export async function startServer(parts: ServerParts): Promise<BoundServer> {
  const { config, clock, store, engine, scheduling, ownership, metrics } = parts;
  const logger = parts.logger.child({ component: "server" });
  // TLS, tokens and stream bounds (trust.ts); a bad tokens file stops the start here.
  const trust = prepareTrust(config, parts.logger);
  const health = new HealthService(store);

  const server = new grpc.Server({ ...SERVER_OPTIONS, ...trust.serverOptions });
  const grpcLogger = parts.logger.child({ component: "grpc" });
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
    health.close();
    throw thrown;
  }
  const address = `${config.listen.slice(0, config.listen.lastIndexOf(":"))}:${port}`;
  let metricsEndpoint: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metricsListen !== undefined) {
    try {
      metricsEndpoint = await serveMetrics(metrics, config.metricsListen);
    } catch (thrown) {
      server.forceShutdown();
      trust.stop();
      health.close();
      throw new PartituraError(
        ErrorCode.Unavailable,
        `cannot serve metrics on ${config.metricsListen}: ${toError(thrown).message}`,
        { cause: thrown },
      );
    }
  }
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
  return {
    port,
    address,
    metricsPort: metricsEndpoint?.port,
    setShuttingDown: () => health.setShuttingDown(),
    close: async (waitMs) => {
      health.close();
      await closeServer(server, waitMs, logger);
    },
    closeExtras: () => {
      stopSampler();
      trust.stop();
      return metricsEndpoint?.close();
    },
  };
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
