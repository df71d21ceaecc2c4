"""A Python worker of Partitura built only from the .proto files (Debian's protoc and
grpc_python_plugin, see scripts/gen-python.sh). Usage: execute_test.py HOST:PORT

Defines a task, schedules instances, opens an Execute stream, receives the executions with
their merged args, heartbeats one, acks them all, and checks that a second ack is refused.
Prints one line per step and exits non-zero on the first failed check.
"""

import sys
import time

import grpc
from google.protobuf import duration_pb2, json_format, struct_pb2, timestamp_pb2

from partitura.v1 import (
    execution_service_pb2,
    execution_service_pb2_grpc,
    instance_pb2,
    scheduler_service_pb2,
    scheduler_service_pb2_grpc,
    task_pb2,
)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def struct(values):
    s = struct_pb2.Struct()
    s.update(values)
    return s


def main(address):
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=30)
    scheduler = scheduler_service_pb2_grpc.SchedulerServiceStub(channel)
    execution = execution_service_pb2_grpc.ExecutionServiceStub(channel)

    scheduler.PutTask(
        scheduler_service_pb2.PutTaskRequest(
            task=task_pb2.Task(
                name="py-jobs",
                dynamic=True,
                partition_count=4,
                lease_duration=duration_pb2.Duration(seconds=30),
                default_args=struct({"queue": "default", "retries": 3}),
            )
        )
    )
    # Three one-offs already due, and one instance every second.
    due = timestamp_pb2.Timestamp(seconds=int(time.time()) - 1)
    one_offs = [
        instance_pb2.InstanceSpec(
            name=f"email-{i}", schedule=task_pb2.Schedule(at=due), args=struct({"user": f"u{i}"})
        )
        for i in range(3)
    ]
    ticker = instance_pb2.InstanceSpec(
        name="ticker", schedule=task_pb2.Schedule(interval=duration_pb2.Duration(seconds=1))
    )
    scheduler.Schedule(scheduler_service_pb2.ScheduleRequest(task="py-jobs", instances=[*one_offs, ticker]))

    stream = execution.Execute(
        execution_service_pb2.ExecuteRequest(task="py-jobs", worker_id="python", max_in_flight=2),
        timeout=60,
    )
    seen = []
    ticker_slots = []
    ticker_leases = []
    outstanding = 0
    for response in stream:
        outstanding += len(response.executions)
        check(outstanding <= 2, f"never more than max_in_flight unacked ({outstanding})")
        for e in response.executions:
            seen.append(e)
            if e.instance == "ticker":
                ticker_slots.append(e.scheduled_at.ToMilliseconds())
                ticker_leases.append(e.lease_id)
            else:
                args = json_format.MessageToDict(e.args)
                check(
                    args == {"queue": "default", "retries": 3, "user": e.instance.replace("email-", "u")},
                    f"{e.instance}: args are the instance's over the task's defaults",
                )
            check(e.attempt == 1 and e.task == "py-jobs" and e.partition < 4, f"{e.instance}: first attempt")
        if len(seen) == 1:
            beat = execution.ExtendLeases(
                execution_service_pb2.ExtendLeasesRequest(
                    items=[execution_service_pb2.ExtendItem(lease_id=seen[0].lease_id)]
                )
            )
            check(beat.results[0].status == execution_service_pb2.LEASE_STATUS_OK, "ExtendLeases keeps a lease")
        acked = execution.Ack(
            execution_service_pb2.AckRequest(
                items=[
                    execution_service_pb2.AckItem(lease_id=e.lease_id, outcome=execution_service_pb2.OUTCOME_SUCCESS)
                    for e in response.executions
                ]
            )
        )
        check(
            all(r.status == execution_service_pb2.LEASE_STATUS_OK for r in acked.results),
            f"Ack of {len(response.executions)} execution(s) is OK",
        )
        outstanding -= len(response.executions)
        if len(ticker_slots) >= 2 and all(f"email-{i}" in {e.instance for e in seen} for i in range(3)):
            break
    stream.cancel()

    check(ticker_slots[1] - ticker_slots[0] == 1000, "the ticker's slots are one second apart")
    again = execution.Ack(
        execution_service_pb2.AckRequest(items=[execution_service_pb2.AckItem(lease_id=ticker_leases[0])])
    )
    check(again.results[0].status == execution_service_pb2.LEASE_STATUS_LEASE_LOST, "a second ack is LEASE_LOST")
    try:
        execution.Ack(execution_service_pb2.AckRequest(items=[execution_service_pb2.AckItem(lease_id="bogus")]))
        check(False, "a malformed lease id is refused")
    except grpc.RpcError as error:
        check(
            error.code() == grpc.StatusCode.INVALID_ARGUMENT and "items[0].lease_id" in error.details(),
            "a malformed lease id is refused with INVALID_ARGUMENT naming the field",
        )
    print("PYTHON WORKER OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
