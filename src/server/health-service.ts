import { create } from "@bufbuild/protobuf";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/ts/grpc/health/v1/health_pb.ts";
import { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ErrorCode, PartituraError, quote } from "../domain/errors.ts";
import { HEALTH_PING_INTERVAL_MS, HEALTH_PING_TIMEOUT_MS } from "../domain/limits.ts";
import type { Store } from "../store/store.ts";
import type { ServiceHandlers } from "./bind.ts";

/** The health service name that only says the process is up (for Kubernetes liveness). */
export const LIVENESS_SERVICE = "liveness";

/** Watchers learn of store health changes within this long. */
const WATCH_POLL_MS = 1_000;

/*
 * Two kinds of answer. Readiness ("" and our service names) follows the store and goes
 * NOT_SERVING as shutdown begins, so load balancers stop sending work. Liveness stays SERVING
 * while the process runs: a store outage must not get every pod restarted.
 */
const READINESS_SERVICES = new Set(["", SchedulerService.typeName, ExecutionService.typeName]);

/** The standard grpc.health.v1 service over the store's health and the shutdown state. */
export class HealthService {
  private shuttingDown = false;
  private readonly watchers = new Set<() => void>();
  private readonly closers = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  /** False from a ping that failed or timed out until the next one that answers. */
  private answering = true;
  private pinging = false;

  constructor(private readonly store: Store) {
    /*
     * healthy() sees a closed connection, not a Redis that stopped answering on an open one
     * (SIGSTOP, a partitioned network). So the store is pinged with a short deadline; readiness
     * follows the last answer, and comes back with the first ping that passes.
     */
    if (store.ping !== undefined) {
      this.pinger = setInterval(() => void this.ping(), HEALTH_PING_INTERVAL_MS);
      this.pinger.unref();
    }
  }

  private async ping(): Promise<void> {
    if (this.pinging || this.store.ping === undefined) return;
    this.pinging = true;
    const before = this.answering;
    try {
      await this.store.ping(HEALTH_PING_TIMEOUT_MS);
      this.answering = true;
    } catch {
      // The cause is the store's to log (its error listener); readiness only needs the fact.
      this.answering = false;
    } finally {
      this.pinging = false;
    }
    if (before !== this.answering) for (const notify of this.watchers) notify();
  }

  /** The status of `service`, or undefined when the name is not one we serve. */
  status(service: string): ServingStatus | undefined {
    if (service === LIVENESS_SERVICE) return ServingStatus.SERVING;
    if (!READINESS_SERVICES.has(service)) return undefined;
    const ready = !this.shuttingDown && this.answering && this.store.healthy();
    return ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Readiness goes NOT_SERVING for good; watchers hear it at once. */
  setShuttingDown(): void {
    this.shuttingDown = true;
    for (const notify of this.watchers) notify();
  }

  /** Ends every Watch stream (after they heard the last status), so the server can stop. */
  close(): void {
    for (const end of this.closers) end();
    this.stopPolling();
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  /** The grpc-js handlers. */
  handlers(): ServiceHandlers<typeof Health.method> {
    return {
      check: async (request) => {
        const status = this.status(request.service);
        if (status === undefined) {
          throw new PartituraError(ErrorCode.NotFound, `service: ${quote(request.service)} is not known`);
        }
        return create(HealthCheckResponseSchema, { status });
      },
      watch: (request, call) =>
        new Promise<void>((resolve) => {
          let last: ServingStatus | undefined;
          const notify = () => {
            const status = this.status(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
            if (status === last) return;
            last = status;
            call.write(create(HealthCheckResponseSchema, { status }));
          };
          const end = () => {
            this.watchers.delete(notify);
            this.closers.delete(end);
            if (this.watchers.size === 0) this.stopPolling();
            resolve();
          };
          this.watchers.add(notify);
          this.closers.add(end);
          call.on("cancelled", end);
          call.on("close", end);
          notify();
          this.startPolling();
        }),
    };
  }

  private startPolling(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      for (const notify of this.watchers) notify();
    }, WATCH_POLL_MS);
    // Watchers alone must not keep the process alive.
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
