import type { DescMethod } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { Health } from "../../../gen/ts/grpc/health/v1/health_pb.ts";
import { ServerReflection as ServerReflectionV1 } from "../../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection } from "../../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { ExecutionService } from "../../../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../../../gen/ts/partitura/v1/scheduler_service_pb.ts";

/*
 * Who may call what. The table is typed by the generated descriptors (one entry per method of
 * each service, checked by the compiler), and accessByPath() walks the descriptors again at
 * run time, so an RPC added to the proto without a role fails the build and the role test
 * instead of falling open.
 */

/** The roles a bearer token may carry. */
export const ROLES = ["admin", "scheduler", "worker", "reader"] as const;

/** One role. */
export type Role = (typeof ROLES)[number];

/** "open": no token needed (probes, reflection); otherwise the roles that may call. */
export type Access = "open" | readonly Role[];

const ADMIN: Access = ["admin"];
const READ: Access = ["admin", "scheduler", "reader"];
const SCHEDULE: Access = ["admin", "scheduler"];
const WORK: Access = ["admin", "worker"];
const MAP: Access = ["admin", "scheduler", "worker", "reader"];

type Table<S extends GenServiceMethods> = { readonly [K in keyof S]: Access };

const scheduler = {
  putTask: ADMIN,
  deleteTask: ADMIN,
  getTask: READ,
  listTasks: READ,
  schedule: SCHEDULE,
  unschedule: SCHEDULE,
  getInstance: READ,
  listInstances: READ,
  previewSchedule: READ,
  getPartitionMap: MAP,
  pauseInstances: SCHEDULE,
  resumeInstances: SCHEDULE,
  requeueDeadLetters: SCHEDULE,
  discardDeadLetters: SCHEDULE,
  triggerInstances: SCHEDULE,
  backfillInstances: SCHEDULE,
} satisfies Table<typeof SchedulerService.method>;

const execution = {
  execute: WORK,
  ack: WORK,
  extendLeases: WORK,
} satisfies Table<typeof ExecutionService.method>;

/* Kubernetes probes and load balancers carry no token. */
const health = { check: "open", watch: "open" } satisfies Table<typeof Health.method>;

/* Reflection describes the public contract only; PARTITURA_REFLECTION decides whether it is served. */
const reflection = { serverReflectionInfo: "open" } satisfies Table<typeof ServerReflection.method>;
const reflectionV1 = { serverReflectionInfo: "open" } satisfies Table<typeof ServerReflectionV1.method>;

const TABLES: readonly [GenService<GenServiceMethods>, Record<string, Access>][] = [
  [SchedulerService, scheduler],
  [ExecutionService, execution],
  [Health, health],
  [ServerReflection, reflection],
  [ServerReflectionV1, reflectionV1],
];

/** The services the role table covers (every service the server offers). */
export const COVERED_SERVICES: readonly GenService<GenServiceMethods>[] = TABLES.map(([service]) => service);

/**
 * Access by gRPC path (`/package.Service/Method`). Throws when a method of a covered service
 * has no entry: the server must not start with a method nobody decided about.
 */
export function accessByPath(): ReadonlyMap<string, Access> {
  const paths = new Map<string, Access>();
  for (const [service, table] of TABLES) {
    for (const method of service.methods as DescMethod[]) {
      const access = table[method.localName];
      if (access === undefined) {
        throw new Error(`auth: /${service.typeName}/${method.name} has no role in src/server/auth/roles.ts`);
      }
      paths.set(`/${service.typeName}/${method.name}`, access);
    }
  }
  return paths;
}
