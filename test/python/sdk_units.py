"""Pure parts of the installed Python SDK, checked without a server. Usage: sdk_units.py"""

import sys
from datetime import datetime, timedelta, timezone

import grpc

from partitura import PartituraError, RetryPolicy, at, cron, every, from_struct, task, to_struct
from partitura._routes import credit_per_stream, routes_of
from partitura.v1 import scheduler_service_pb2 as sc


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def replica(address, partitions):
    return sc.ReplicaPartitions(address=address, partitions=partitions)


moved = sc.GetPartitionMapResponse(
    replicas=[replica("a:1", [0, 2]), replica("b:1", [1, 3]), replica("c:1", []), replica("a:1", [4])], version=7
)
check(routes_of(moved, None) == {"a:1": (0, 2, 4), "b:1": (1, 3)}, "one stream per replica that owns partitions")
check(routes_of(moved, [1, 4]) == {"a:1": (4,), "b:1": (1,)}, "asked-for partitions limit the streams")
check(routes_of(moved, [9]) == {}, "no stream when no replica owns an asked-for partition")
check([credit_per_stream(16, n) for n in (1, 2, 3, 40)] == [16, 8, 5, 1], "max_in_flight is shared out over the streams")

values = {"s": "x", "n": 3, "f": 2.5, "b": True, "none": None, "list": [1, "two"], "nested": {"k": 2**53 + 2}}
check(from_struct(to_struct(values)) == values, "args dicts round-trip through Struct, whole numbers as int")
check(isinstance(from_struct(to_struct({"n": 3}))["n"], int), "a whole number comes back as int")

check(task("t", execution_mode="at_most_once").execution_mode == 2, "enum short names are accepted")
try:
    task("t", misfire_policy="sometimes")
    check(False, "an unknown enum name is refused")
except ValueError as error:
    check("catch_up, fast_forward, skip" in str(error), "an unknown enum name is refused, listing the names")
try:
    at(datetime(2030, 1, 1))
    check(False, "a naive datetime is refused")
except ValueError as error:
    check("time zone" in str(error), "at() refuses a naive datetime")
check(at(datetime(2030, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))).at.seconds == 1893456000, "at() converts to UTC")
check(every(timedelta(milliseconds=1500)).interval.ToMilliseconds() == 1500, "every() takes a timedelta")
start, end = datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 2, 1, 1, tzinfo=timezone(timedelta(hours=1)))
bounded = every(60, start_at=start, end_at=end)
check(bounded.start_at.seconds == 1893456000 and bounded.end_at.seconds == 1896134400, "every() sets start_at and end_at")
check(cron("0 9 * * *", end_at=end).HasField("end_at") and not cron("0 9 * * *", end_at=end).HasField("start_at"),
      "cron() sets only the bounds given")
check(not every(60).HasField("start_at") and not every(60).HasField("end_at"), "no bounds unless given")
try:
    every(60, end_at=datetime(2030, 1, 1))
    check(False, "a naive end_at is refused")
except ValueError as error:
    check(str(error).startswith("end_at:"), "a naive end_at is refused naming the field")
check(every(60, max_runs=3).max_runs == 3 and cron("0 9 * * *", max_runs=5).max_runs == 5, "max_runs is set")
check(every(60).max_runs == 0, "no max_runs unless given")
try:
    every(60, max_runs=-1)
    check(False, "a negative max_runs is refused")
except ValueError as error:
    check(str(error).startswith("max_runs:"), "a negative max_runs is refused naming the field")

policy = RetryPolicy(initial_delay=0.1, max_delay=1.0)
delays = [policy.delay(n) for n in range(10) for _ in range(50)]
check(all(0 <= d <= 1.0 for d in delays) and len(set(delays)) > 100, "backoff delays are jittered and capped")
error = PartituraError(grpc.StatusCode.UNAVAILABLE, "moved", (("partitura-refresh-map", "1"),))
check(error.refresh_map and not PartituraError(grpc.StatusCode.UNAVAILABLE, "x").refresh_map, "the refresh-map trailer is seen")

from partitura._slots import SlotIndex, slot_of
from partitura.v1 import execution_service_pb2 as ex
from google.protobuf.timestamp_pb2 import Timestamp


def delivery(lease_id, attempt, instance="i", ms=1000):
    return ex.Execution(lease_id=lease_id, instance=instance, partition=1, attempt=attempt,
                        scheduled_at=Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000))


slots = SlotIndex()
slots.start(delivery("L1", 1), "run")
check(slots.running_for(delivery("L2", 2)) == "run", "a redelivery (higher attempt) of a running slot finds its run")
check(slots.running_for(delivery("M1", 1)) is None, "attempt 1 of the same slot (an instance made again) is a new run")
check(slots.running_for(delivery("N2", 2, ms=2000)) is None, "another slot of the instance is a new run")
slots.finish(slot_of(delivery("L2", 2)), "L2", 2, True, 100.0)
check(slots.succeeded_before(delivery("L3", 3), 50.0), "a redelivery of a success whose ack is unconfirmed is acked")
slots.confirmed("L3")
check(not slots.succeeded_before(delivery("L4", 4), 50.0), "once the server confirmed the ack the slot is forgotten")
slots.finish(slot_of(delivery("K1", 1, instance="k")), "K1", 1, True, 100.0)
check(not slots.succeeded_before(delivery("K2", 2, instance="k"), 100.0), "a success is forgotten at forget_at")
slots.finish(slot_of(delivery("F1", 1, instance="f")), "F1", 1, False, 100.0)
check(not slots.succeeded_before(delivery("F2", 2, instance="f"), 50.0), "a failure is run again when redelivered")
print("PYTHON SDK UNITS OK", flush=True)
