import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import {
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/ts/grpc/health/v1/health_pb.ts";
import {
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { callError, clientsFor } from "../support/clients.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

test("health: overall, per service and liveness are SERVING; unknown services NOT_FOUND", async (t) => {
  await using s = await startTestServer();
  for (const service of ["", "partitura.v1.SchedulerService", "partitura.v1.ExecutionService", "liveness"]) {
    t.is((await s.health.check({ service })).status, ServingStatus.SERVING, service);
  }
  const unknown = await callError(s.health.check({ service: "no.such.Service" }));
  t.is(unknown.code, status.NOT_FOUND);
});

test("health Watch says SERVING, then NOT_SERVING when the server stops, then ends", async (t) => {
  const s = await startTestServer();
  const clients = clientsFor(s.address);
  try {
    const seen: ServingStatus[] = [];
    const stream = clients.health.watch({ service: "" });
    const ended = new Promise<void>((resolve) => {
      stream.on("data", (message: HealthCheckResponse) => {
        seen.push(message.status);
        if (message.status === ServingStatus.SERVING) void s.server.stop();
      });
      stream.on("error", () => resolve());
      stream.on("end", () => resolve());
    });
    await ended;
    t.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  } finally {
    clients.close();
    await s.stop();
  }
});

/** Sends reflection requests on one stream and collects the answers. */
async function reflect(
  s: TestServer,
  requests: ServerReflectionRequest["messageRequest"][],
): Promise<ServerReflectionResponse[]> {
  const stream = s.reflection.serverReflectionInfo();
  const answers: ServerReflectionResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on("data", (message: ServerReflectionResponse) => answers.push(message));
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  for (const messageRequest of requests)
    stream.write(create(ServerReflectionRequestSchema, { messageRequest }));
  stream.end();
  await done;
  return answers;
}

test("reflection lists the services and serves their descriptors with dependencies", async (t) => {
  await using s = await startTestServer();
  const [list, bySymbol, byMethod, byFile, missing] = await reflect(s, [
    { case: "listServices", value: "*" },
    { case: "fileContainingSymbol", value: "partitura.v1.SchedulerService" },
    { case: "fileContainingSymbol", value: "partitura.v1.ExecutionService.Execute" },
    { case: "fileByFilename", value: "partitura/v1/task.proto" },
    { case: "fileContainingSymbol", value: "no.such.Thing" },
  ]);

  t.is(list?.messageResponse.case, "listServicesResponse");
  const services =
    list?.messageResponse.case === "listServicesResponse"
      ? list.messageResponse.value.service.map((x) => x.name)
      : [];
  t.deepEqual(services.sort(), [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "partitura.v1.ExecutionService",
    "partitura.v1.SchedulerService",
  ]);

  const fileNames = (answer: ServerReflectionResponse | undefined) =>
    answer?.messageResponse.case === "fileDescriptorResponse"
      ? answer.messageResponse.value.fileDescriptorProto.map(
          (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
        )
      : [];
  const schedulerFiles = fileNames(bySymbol);
  t.is(schedulerFiles[0], "partitura/v1/scheduler_service.proto");
  for (const dependency of [
    "partitura/v1/task.proto",
    "partitura/v1/instance.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
  ]) {
    t.true(schedulerFiles.includes(dependency), dependency);
  }
  t.is(fileNames(byMethod)[0], "partitura/v1/execution_service.proto");
  t.is(fileNames(byFile)[0], "partitura/v1/task.proto");
  t.is(missing?.messageResponse.case, "errorResponse");
  if (missing?.messageResponse.case === "errorResponse")
    t.is(missing.messageResponse.value.errorCode, status.NOT_FOUND);
});
