import type * as grpc from "@grpc/grpc-js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.ts";
import { ServerReflection } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { type ClientOf, makeClient } from "../../src/sdk/client.ts";

export { type ClientOf, makeClient };

/** Clients of every service one server offers. */
export interface Clients {
  readonly scheduler: ClientOf<typeof SchedulerService.method>;
  readonly execution: ClientOf<typeof ExecutionService.method>;
  readonly health: ClientOf<typeof Health.method>;
  readonly reflection: ClientOf<typeof ServerReflection.method>;
  close(): void;
}

/** One client per service at `address`. */
export function clientsFor(address: string): Clients {
  const scheduler = makeClient(SchedulerService, address);
  const execution = makeClient(ExecutionService, address);
  const health = makeClient(Health, address);
  const reflection = makeClient(ServerReflection, address);
  return {
    scheduler,
    execution,
    health,
    reflection,
    close() {
      for (const c of [scheduler, execution, health, reflection]) c.close();
    },
  };
}

/** The gRPC error a call failed with; throws when it did not fail. */
export async function callError(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (thrown) {
    if (thrown instanceof Error && "code" in thrown) return thrown as grpc.ServiceError;
    throw thrown;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
