import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1/reflection_pb.ts";
import { makeClient } from "../support/clients.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/*
 * grpcurl and current tools ask for grpc.reflection.v1 first. These tests use a client that
 * knows only v1 (a grpc-js client of the generated v1 descriptors, nothing of v1alpha).
 */

async function reflectV1(
  s: TestServer,
  requests: ServerReflectionRequest["messageRequest"][],
): Promise<{ answers: ServerReflectionResponse[]; code: number }> {
  const client = makeClient(ServerReflection, s.address);
  try {
    const stream = client.serverReflectionInfo();
    const answers: ServerReflectionResponse[] = [];
    const code = new Promise<number>((resolve) => {
      stream.on("data", (message: ServerReflectionResponse) => answers.push(message));
      stream.on("end", () => resolve(status.OK));
      stream.on("error", (error: { code: number }) => resolve(error.code));
    });
    for (const messageRequest of requests)
      stream.write(create(ServerReflectionRequestSchema, { host: "h", messageRequest }));
    stream.end();
    return { answers, code: await code };
  } finally {
    client.close();
  }
}

const fileNames = (answer: ServerReflectionResponse | undefined) =>
  answer?.messageResponse.case === "fileDescriptorResponse"
    ? answer.messageResponse.value.fileDescriptorProto.map(
        (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
      )
    : [];

test("a v1-only client lists the services and gets the file containing a symbol", async (t) => {
  await using s = await startTestServer();
  const { answers, code } = await reflectV1(s, [
    { case: "listServices", value: "*" },
    { case: "fileContainingSymbol", value: "partitura.v1.SchedulerService" },
    { case: "fileContainingSymbol", value: "partitura.v1.ExecutionService.Execute" },
    { case: "fileContainingSymbol", value: "grpc.reflection.v1.ServerReflection" },
    { case: "fileContainingSymbol", value: "no.such.Thing" },
  ]);
  t.is(code, status.OK);
  const [list, scheduler, execute, reflection, missing] = answers;
  t.is(list?.validHost, "h");
  t.is(list?.originalRequest?.messageRequest.case, "listServices");
  t.deepEqual(
    list?.messageResponse.case === "listServicesResponse"
      ? list.messageResponse.value.service.map((x) => x.name).sort()
      : [],
    [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "partitura.v1.ExecutionService",
      "partitura.v1.SchedulerService",
    ],
  );
  const schedulerFiles = fileNames(scheduler);
  t.is(schedulerFiles[0], "partitura/v1/scheduler_service.proto");
  for (const dependency of [
    "partitura/v1/task.proto",
    "partitura/v1/instance.proto",
    "google/protobuf/struct.proto",
  ])
    t.true(schedulerFiles.includes(dependency), dependency);
  t.is(fileNames(execute)[0], "partitura/v1/execution_service.proto");
  t.deepEqual(fileNames(reflection), ["grpc/reflection/v1/reflection.proto"]);
  t.is(missing?.messageResponse.case, "errorResponse");
  if (missing?.messageResponse.case === "errorResponse")
    t.is(missing.messageResponse.value.errorCode, status.NOT_FOUND);
});

test("v1 keeps the request bounds: a 1 MB symbol gets INVALID_ARGUMENT and a small reply", async (t) => {
  await using s = await startTestServer();
  const { answers, code } = await reflectV1(s, [
    { case: "fileContainingSymbol", value: "x".repeat(1_000_000) },
  ]);
  t.is(code, status.OK);
  const [answer] = answers;
  t.is(answer?.messageResponse.case, "errorResponse");
  if (answer?.messageResponse.case === "errorResponse")
    t.is(answer.messageResponse.value.errorCode, status.INVALID_ARGUMENT);
  t.true(answer !== undefined && toBinary(ServerReflectionResponseSchema, answer).byteLength < 2_000);
});

test("v1 follows PARTITURA_REFLECTION: off, it is UNIMPLEMENTED", async (t) => {
  await using s = await startTestServer({ config: { reflection: false } });
  const { code } = await reflectV1(s, [{ case: "listServices", value: "*" }]);
  t.is(code, status.UNIMPLEMENTED);
});

test("with bearer tokens required, v1 reflection stays open like v1alpha", async (t) => {
  const tokensFile = join(mkdtempSync(join(tmpdir(), "partitura-reflection-")), "tokens.json");
  writeFileSync(tokensFile, JSON.stringify([{ token: "reflection-test-admin-token", roles: ["admin"] }]));
  await using s = await startTestServer({ config: { authTokensFile: tokensFile } });
  const { answers, code } = await reflectV1(s, [{ case: "listServices", value: "*" }]);
  t.is(code, status.OK);
  t.is(answers[0]?.messageResponse.case, "listServicesResponse");
});
