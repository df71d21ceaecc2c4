import { create, toBinary } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import test from "ava";
import {
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/*
 * Reflection answers echo the request, so unbounded requests made unbounded replies: a 1 MB
 * symbol got a 2 MB answer. Oversized names are refused in the reflection error response, and
 * one stream may ask a bounded number of questions.
 */

async function reflect(
  s: TestServer,
  requests: ServerReflectionRequest["messageRequest"][],
): Promise<{ answers: ServerReflectionResponse[]; code: number }> {
  const stream = s.reflection.serverReflectionInfo();
  const answers: ServerReflectionResponse[] = [];
  const code = new Promise<number>((resolve) => {
    stream.on("data", (message: ServerReflectionResponse) => answers.push(message));
    stream.on("end", () => resolve(status.OK));
    stream.on("error", (error: { code: number }) => resolve(error.code));
  });
  for (const messageRequest of requests)
    stream.write(create(ServerReflectionRequestSchema, { messageRequest }));
  stream.end();
  return { answers, code: await code };
}

test("a 1 MB reflection symbol is refused with INVALID_ARGUMENT and a small reply", async (t) => {
  await using s = await startTestServer();
  const huge = "x".repeat(1_000_000);
  const { answers, code } = await reflect(s, [
    { case: "fileContainingSymbol", value: huge },
    { case: "fileByFilename", value: huge },
    { case: "fileContainingSymbol", value: `no.such.${"y".repeat(400)}` },
    { case: "fileContainingSymbol", value: "partitura.v1.SchedulerService" },
  ]);
  t.is(code, status.OK);
  t.is(answers.length, 4);
  for (const answer of answers.slice(0, 2)) {
    t.is(answer.messageResponse.case, "errorResponse");
    if (answer.messageResponse.case === "errorResponse") {
      t.is(answer.messageResponse.value.errorCode, status.INVALID_ARGUMENT);
      t.regex(answer.messageResponse.value.errorMessage, /must be at most 512 characters/);
    }
    t.true(toBinary(ServerReflectionResponseSchema, answer).byteLength < 2_000);
  }
  const notFound = answers[2];
  t.is(notFound?.messageResponse.case, "errorResponse");
  if (notFound?.messageResponse.case === "errorResponse") {
    t.is(notFound.messageResponse.value.errorCode, status.NOT_FOUND);
    t.true(notFound.messageResponse.value.errorMessage.length < 130, "the echoed symbol is cut");
  }
  t.is(answers[3]?.messageResponse.case, "fileDescriptorResponse", "the stream still serves");
});

test("a reflection stream that asks too many questions is ended with RESOURCE_EXHAUSTED", async (t) => {
  await using s = await startTestServer();
  const asks = Array.from({ length: 1_100 }, () => ({ case: "listServices" as const, value: "*" }));
  const { answers, code } = await reflect(s, asks);
  t.is(code, status.RESOURCE_EXHAUSTED);
  t.true(answers.length <= 1_000);
});
