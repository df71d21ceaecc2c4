"""A Python client of Partitura built only from the .proto files (Debian's protoc and
grpc_python_plugin, see scripts/gen-python.sh). Usage: client_test.py HOST:PORT

Defines a dynamic task, schedules instances, reads, lists and unschedules them, and checks a
refusal. Prints one line per step and exits non-zero on the first failed check.
"""

import hashlib
import sys
import time

import grpc
from google.protobuf import duration_pb2, json_format, struct_pb2, timestamp_pb2

from partitura.v1 import instance_pb2, scheduler_service_pb2, scheduler_service_pb2_grpc, task_pb2


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def pyncette_partition(key, count):
    """Pyncette's default partition selector."""
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) * count // 2**160


def main(address):
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = scheduler_service_pb2_grpc.SchedulerServiceStub(channel)

    default_args = struct_pb2.Struct()
    default_args.update({"channel": "email", "retries": 3})
    task = task_pb2.Task(
        name="py-reports",
        dynamic=True,
        partition_count=8,
        schedule=task_pb2.Schedule(cron="0 9 * * 1-5", timezone="Europe/Berlin"),
        execution_mode=task_pb2.EXECUTION_MODE_AT_LEAST_ONCE,
        lease_duration=duration_pb2.Duration(seconds=30),
        default_args=default_args,
    )
    put = stub.PutTask(scheduler_service_pb2.PutTaskRequest(task=task))
    check(put.task.name == "py-reports" and put.task.partition_count == 8, "PutTask defines a dynamic task")
    check(put.task.enabled and put.task.misfire_policy == task_pb2.MISFIRE_POLICY_CATCH_UP, "defaults applied")

    args = struct_pb2.Struct()
    args.update({"user": "ada", "weights": [1, 2.5]})
    at = timestamp_pb2.Timestamp(seconds=int(time.time()) + 3600)
    scheduled = stub.Schedule(
        scheduler_service_pb2.ScheduleRequest(
            task="py-reports",
            instances=[
                instance_pb2.InstanceSpec(name="user-ada", args=args),
                instance_pb2.InstanceSpec(
                    name="heartbeat", schedule=task_pb2.Schedule(interval=duration_pb2.Duration(seconds=90))
                ),
                instance_pb2.InstanceSpec(name="once", schedule=task_pb2.Schedule(at=at)),
            ],
        )
    )
    created = scheduler_service_pb2.SCHEDULE_OUTCOME_CREATED
    check(list(scheduled.outcomes) == [created] * 3, "Schedule creates three instances")
    for instance in scheduled.instances:
        expected = pyncette_partition(instance.name, 8)
        check(instance.partition == expected, f"{instance.name} is in Pyncette's partition {expected}")
    check(scheduled.instances[2].next_run_at.seconds == at.seconds, "a one-off is due at its instant")

    got = stub.GetInstance(scheduler_service_pb2.GetInstanceRequest(task="py-reports", name="user-ada"))
    check(json_format.MessageToDict(got.instance.args) == {"user": "ada", "weights": [1, 2.5]}, "args round-trip")
    check(got.instance.schedule.cron == "0 9 * * 1-5", "an instance without a schedule gets the task's")

    names = []
    token = ""
    while True:
        page = stub.ListInstances(
            scheduler_service_pb2.ListInstancesRequest(task="py-reports", page_size=2, page_token=token)
        )
        names += [i.name for i in page.instances]
        token = page.next_page_token
        if not token:
            break
    check(sorted(names) == ["heartbeat", "once", "user-ada"], "ListInstances pages through every instance")

    removed = stub.Unschedule(
        scheduler_service_pb2.UnscheduleRequest(task="py-reports", names=["user-ada", "once"])
    )
    check(removed.removed == 2, "Unschedule removes two instances")
    try:
        stub.GetInstance(scheduler_service_pb2.GetInstanceRequest(task="py-reports", name="user-ada"))
        check(False, "an unscheduled instance is gone")
    except grpc.RpcError as error:
        check(error.code() == grpc.StatusCode.NOT_FOUND, "an unscheduled instance is gone (NOT_FOUND)")

    try:
        stub.Schedule(
            scheduler_service_pb2.ScheduleRequest(
                task="py-reports",
                instances=[instance_pb2.InstanceSpec(name="bad", schedule=task_pb2.Schedule(cron="99 * * * *"))],
            )
        )
        check(False, "a bad cron is refused")
    except grpc.RpcError as error:
        check(
            error.code() == grpc.StatusCode.INVALID_ARGUMENT and "instances[0].schedule.cron" in error.details(),
            "a bad cron is refused with INVALID_ARGUMENT naming the field",
        )
    print("PYTHON CLIENT OK", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
