import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { ExecutionService } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { callError } from "./support/clients.ts";
import { startTestServer } from "./support/server.ts";

/*
 * Issue 12, at the wire: malformed protobuf is INVALID_ARGUMENT on every method (not INTERNAL
 * "Error deserializing request"), NaN and over-deep args are refused naming the field, and a
 * 10,000-instance Schedule with 450-byte args answers within a stock client's 4 MiB limit.
 */

const identity = (bytes: Buffer): Buffer => bytes;

function rawUnary(address: string, path: string, body: Buffer): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, body, { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err ?? undefined);
    });
  });
}

function rawStream(address: string, path: string, body: Buffer): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, identity, identity, body, {
      deadline: Date.now() + 10_000,
    });
    call.on("data", () => {});
    call.on("error", (err: grpc.ServiceError) => {
      client.close();
      resolve(err);
    });
    call.on("end", () => {
      client.close();
      resolve(undefined);
    });
  });
}

/** A Struct nested `depth` levels: {"a": {"a": ... 1}}, as protobuf bytes of an args field. */
function deepStruct(depth: number): Buffer {
  // Value{number_value: 1}
  let value = Buffer.from([0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  for (let i = 0; i < depth; i++) {
    const entry = Buffer.concat([Buffer.from([0x0a, 1, 0x61, 0x12]), varint(value.length), value]);
    const struct = Buffer.concat([Buffer.from([0x0a]), varint(entry.length), entry]);
    value = i === depth - 1 ? struct : Buffer.concat([Buffer.from([0x2a]), varint(struct.length), struct]);
  }
  return value;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function field(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
}

const malformed: Record<string, Buffer> = {
  truncated: Buffer.from([0x0a, 0x10, 0x61]),
  "wrong wire type": Buffer.from([0x0f, 0x01]),
  "invalid UTF-8": Buffer.from([0x0a, 0x02, 0xc3, 0x28]),
  random: Buffer.from("9f3ac7e1ffffffffffff01d0", "hex"),
};

test("malformed protobuf is INVALID_ARGUMENT on every method path", async (t) => {
  await using s = await startTestServer();
  const methods = [
    ...SchedulerService.methods.map((m) => ({
      path: `/partitura.v1.SchedulerService/${m.name}`,
      kind: m.methodKind,
    })),
    ...ExecutionService.methods.map((m) => ({
      path: `/partitura.v1.ExecutionService/${m.name}`,
      kind: m.methodKind,
    })),
    { path: "/grpc.health.v1.Health/Check", kind: "unary" },
  ];
  for (const { path, kind } of methods) {
    for (const [label, bytes] of Object.entries(malformed)) {
      const err =
        kind === "unary" ? await rawUnary(s.address, path, bytes) : await rawStream(s.address, path, bytes);
      t.is(err?.code, grpc.status.INVALID_ARGUMENT, `${path} ${label}: ${err?.details}`);
      t.regex(err?.details ?? "", /^malformed request: /, `${path} ${label}`);
    }
  }
  // A Struct 10,000 deep inside a Schedule request.
  const deep = field(0x12, Buffer.concat([field(0x0a, Buffer.from("n")), field(0x1a, deepStruct(10_000))]));
  const err = await rawUnary(s.address, "/partitura.v1.SchedulerService/Schedule", deep);
  t.is(err?.code, grpc.status.INVALID_ARGUMENT, err?.details);
});

test("NaN, Infinity and args nested deeper than 32 levels are refused naming the field", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "dyn", dynamic: true, partitionCount: 2 } });
  const schedule = { kind: { case: "cron" as const, value: "0 * * * *" }, timezone: "" };
  const ok = { name: "ok", schedule, args: { x: 1 } };
  for (const [bad, fieldName] of [
    [Number.NaN, "instances[1].args.nested.foo"],
    [Number.POSITIVE_INFINITY, "instances[1].args.nested.foo"],
  ] as const) {
    const err = await callError(
      s.scheduler.schedule({
        task: "dyn",
        instances: [ok, { name: "bad", schedule, args: { nested: { foo: bad } } }],
      }),
    );
    t.is(err.code, grpc.status.INVALID_ARGUMENT);
    t.is(err.details, `${fieldName}: must be a finite number`);
  }
  let nested: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < 32; i++) nested = { a: nested };
  await s.scheduler.schedule({
    task: "dyn",
    instances: [{ name: "deep32", schedule, args: nested as never }],
  });
  const err = await callError(
    s.scheduler.schedule({
      task: "dyn",
      instances: [{ name: "deep33", schedule, args: { a: nested } as never }],
    }),
  );
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err.details, /^instances\[0\]\.args(\.a)+: nests Struct and ListValue deeper than 32 levels/);
  const task = await callError(
    s.scheduler.putTask({ task: { name: "t2", dynamic: true, defaultArgs: { list: [[Number.NaN]] } } }),
  );
  t.is(task.details, "task.default_args.list[0][0]: must be a finite number");
  const listed = await s.scheduler.listInstances({ task: "dyn", pageSize: 100 });
  t.deepEqual(
    listed.instances.map((i) => i.name),
    ["deep32"],
    "nothing refused was stored",
  );
});

test("10,000 instances with 450 B args each: all stored, the reply fits a stock client", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "big", dynamic: true, partitionCount: 8 } });
  const schedule = { kind: { case: "cron" as const, value: "0 * * * *" }, timezone: "" };
  const instances = Array.from({ length: 10_000 }, (_, i) => ({
    name: `instance-${i}`,
    schedule,
    args: { blob: "x".repeat(440), i },
  }));
  // s.scheduler is a stock grpc-js client with default limits (4 MiB receive).
  const reply = await s.scheduler.schedule({ task: "big", instances });
  t.is(reply.instances.length, 10_000);
  t.is(reply.instances[0]?.args, undefined, "args are not echoed");
  let stored = 0;
  for (let partition = 0; partition < 8; partition++) {
    let pageToken = "";
    do {
      const page = await s.scheduler.listInstances({ task: "big", partition, pageSize: 1000, pageToken });
      stored += page.instances.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
  }
  t.is(stored, 10_000);
  const one = await s.scheduler.getInstance({ task: "big", name: "instance-7" });
  t.is((one.instance?.args as { blob?: string } | undefined)?.blob?.length, 440);
});
