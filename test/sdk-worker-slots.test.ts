import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { ExecutionSchema } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { SlotIndex } from "../src/sdk/worker-slots.ts";

/*
 * The rules by which a Worker tells a redelivery of its own slot (after a cut stream or a
 * restarted server) from a new execution; the fault tests (sdk-worker-faults) show the effect.
 */

const delivery = (leaseId: string, attempt: number, instance = "i", slotMs = 1_000) =>
  create(ExecutionSchema, { leaseId, attempt, instance, partition: 1, scheduledAt: timestampFromMs(slotMs) });
const lease = { expiresAt: 0, leaseMs: 0, now: 0 };

test("a redelivery of a running slot finds its run; attempt 1 or another slot is a new run", (t) => {
  const slots = new SlotIndex<string>();
  slots.start(delivery("L1", 1), "run");
  t.is(slots.runningFor(delivery("L2", 2)), "run");
  t.is(slots.runningFor(delivery("M1", 1)), undefined, "an instance made again starts at attempt 1");
  t.is(slots.runningFor(delivery("N2", 2, "i", 2_000)), undefined, "another slot");
  slots.finish(delivery("L2", 2), false, lease);
  t.is(slots.runningFor(delivery("L3", 3)), undefined, "a finished run is not running");
});

test("a success is acked on redelivery until its ack is confirmed or it is forgotten; a failure runs again", (t) => {
  const slots = new SlotIndex<string>();
  slots.finish(delivery("L1", 1), true, lease);
  t.true(slots.succeededBefore(delivery("L2", 2), 1_000));
  t.true(slots.succeededBefore(delivery("L3", 3), 1_000), "the memory moved to the lease acked last");
  slots.confirmed("L3");
  t.false(slots.succeededBefore(delivery("L4", 4), 1_000), "confirmed: forgotten");
  slots.finish(delivery("K1", 1, "k"), true, { expiresAt: 0, leaseMs: 0, now: 0 });
  t.false(slots.succeededBefore(delivery("K2", 2, "k"), 60_000), "forgotten after at least a minute");
  slots.finish(delivery("F1", 1, "f"), false, lease);
  t.false(slots.succeededBefore(delivery("F2", 2, "f"), 1_000), "a failure is retried, not acked");
});
