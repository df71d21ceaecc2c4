import { connect } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { ExecuteRequestSchema } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";
import { until } from "../support/wait.ts";

/*
 * Issue 12: a worker that never reads its Execute stream. Its leases expire, and the server
 * used to claim the same instances again for it at every expiry, queueing their bytes in the
 * stream without bound. Now a stream whose write buffer is full gets no credit: once its leases
 * expired nothing more is claimed for it, and a healthy worker receives the instances.
 */

const COUNT = 600;
const ARGS = "x".repeat(16 * 1024);

/** gRPC's length-prefixed frame around one message. */
function frame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

test("a never-reading worker gets nothing more once its buffer is full; a healthy worker receives the instances after its leases expire", async (t) => {
  const clock = new ManualClock();
  const s = await startTestServer({ clock });
  await using _ = s;
  await s.scheduler.putTask({
    task: { name: "heavy", dynamic: true, partitionCount: 1, leaseDuration: durationFromMs(2_000) },
  });
  for (let from = 0; from < COUNT; from += 100) {
    await s.scheduler.schedule({
      task: "heavy",
      instances: Array.from({ length: 100 }, (_, k) => ({
        name: `i${from + k}`,
        schedule: { kind: { case: "interval" as const, value: durationFromMs(3_600_000) } },
        args: { payload: ARGS },
      })),
    });
  }
  clock.advance(3_600_000);

  /*
   * A raw HTTP/2 client that never reads: with its stream paused it sends no WINDOW_UPDATE, so
   * flow control stops the server's writes (a grpc-js client would buffer them itself).
   */
  const session = connect(`http://${s.address}`, { settings: { initialWindowSize: 65_535 } });
  session.on("error", () => {});
  const stalled = session.request({
    ":method": "POST",
    ":path": "/partitura.v1.ExecutionService/Execute",
    "content-type": "application/grpc",
    te: "trailers",
  });
  stalled.on("error", () => {});
  const request = create(ExecuteRequestSchema, { task: "heavy", maxInFlight: COUNT });
  stalled.end(frame(toBinary(ExecuteRequestSchema, request)));
  stalled.pause();
  await until("the first deliveries to the stalled worker", () => s.server.engine.stats().leases > 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const first = s.server.engine.stats().leases;
  t.log(`leases delivered to the stalled worker before its buffer filled: ${first}`);

  // Its leases expire: the instances are due again, but not for the stream that cannot take them.
  clock.advance(3_000);
  await until("the stalled worker's leases to expire", () => s.server.engine.stats().leases === 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.is(s.server.engine.stats().leases, 0, "nothing is claimed again for a stream whose buffer is full");

  const healthy = new TestWorker(s, { task: "heavy", workerId: "healthy", maxInFlight: 100 });
  const names = new Set<string>();
  while (names.size < COUNT) {
    const batch = await healthy.next(1);
    for (const e of batch) names.add(e.instance);
    await healthy.ack(batch);
  }
  t.is(names.size, COUNT, "the healthy worker received every instance");
  healthy.close();
  stalled.close();
  // destroy, not close: close would wait for a stream the client never read to the end.
  session.destroy();
});
