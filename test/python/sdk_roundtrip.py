"""The installed Python SDK end to end: its Client defines a task and schedules instances, its
Worker executes them. Usage: sdk_roundtrip.py HOST:PORT

Prints where `partitura` was imported from (the test checks it is the venv, not the source
tree), one line per check, and exits non-zero on the first failed check.
"""

import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import grpc

import partitura
from partitura import Client, PartituraError, RetryLater, Worker, at, cron, every, instance


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def main(address):
    print(f"package: {partitura.__file__}", flush=True)
    client = Client(address)
    task = client.put_task(
        "py-sdk", dynamic=True, partition_count=4, lease_duration=timedelta(seconds=10),
        failure_mode="unlock", default_args={"queue": "default", "retries": 3},
    )
    check(task.partition_count == 4 and task.failure_mode == 2, "put_task takes keyword arguments and enum names")
    check(client.get_task("py-sdk").default_args.fields["retries"].number_value == 3, "get_task reads it back")
    check("py-sdk" in [t.name for t in client.list_tasks(page_size=1)], "list_tasks pages through the tasks")

    now = datetime.now(timezone.utc)
    specs = [instance(f"job-{i}", at(now - timedelta(seconds=1)), {"n": i}) for i in range(6)]
    specs.append(instance("flaky", at(now - timedelta(seconds=1)), {"n": 99}))
    specs.append(instance("nightly", cron("0 3 * * *", "Europe/Berlin")))
    specs.append(instance("ticker", every(3600)))
    response = client.schedule("py-sdk", specs)
    check(len(response.instances) == 9 and all(o == 1 for o in response.outcomes), "schedule creates nine instances")
    nightly = client.get_instance("py-sdk", "nightly")
    check(nightly.schedule.cron == "0 3 * * *" and nightly.schedule.timezone == "Europe/Berlin", "cron(...) builds a zoned cron")
    check(sum(1 for _ in client.list_instances("py-sdk", page_size=2)) == 9, "list_instances pages through the instances")
    check(sum(1 for _ in client.list_instances("py-sdk", partition=nightly.partition)) >= 1, "list_instances of one partition")
    partition_map = client.get_partition_map("py-sdk")
    check(sorted(p for r in partition_map.replicas for p in r.partitions) == [0, 1, 2, 3], "the partition map covers every partition")

    try:
        client.schedule("py-sdk", [instance("bad", cron("99 * * * *"))])
        check(False, "a bad cron is refused")
    except PartituraError as error:
        check(error.code == grpc.StatusCode.INVALID_ARGUMENT and "instances[0].schedule.cron" in error.message,
              "a bad cron raises PartituraError(INVALID_ARGUMENT) naming the field")
    try:
        client.get_instance("py-sdk", "missing")
        check(False, "a missing instance is NOT_FOUND")
    except PartituraError as error:
        check(error.code == grpc.StatusCode.NOT_FOUND, "a missing instance raises PartituraError(NOT_FOUND)")

    seen = {}
    lock = threading.Lock()
    done = threading.Event()
    running = [0, 0]  # now, most at once

    def handler(execution):
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
            seen.setdefault(execution.instance, []).append(execution)
            first_flaky = execution.instance == "flaky" and len(seen["flaky"]) == 1
        time.sleep(0.2)
        with lock:
            running[0] -= 1
            if all(f"job-{i}" in seen for i in range(6)) and len(seen.get("flaky", [])) >= 2:
                done.set()
        if first_flaky:
            raise RetryLater(0.3)

    with Worker(address, "py-sdk", handler, max_in_flight=3) as worker:
        check(done.wait(30), "the worker executes every due instance")
    check(worker.in_flight == 0, "stop() leaves nothing in flight")
    check(running[1] <= 3, f"never more than max_in_flight running at once ({running[1]})")
    check(all(len(seen[f"job-{i}"]) == 1 for i in range(6)), "each one-off ran once")
    check(seen["job-2"][0].args == {"queue": "default", "retries": 3, "n": 2}, "args are a dict, instance over task defaults")
    check(isinstance(seen["job-2"][0].scheduled_at, datetime), "scheduled_at is a datetime")
    check([e.attempt for e in seen["flaky"][:2]] == [1, 2], "RetryLater fails the execution and it runs again (UNLOCK)")
    remaining = sorted(i.name for i in client.list_instances("py-sdk"))
    check(remaining == ["nightly", "ticker"], "acked one-offs are gone, the recurring ones stay")
    check(client.unschedule("py-sdk", ["nightly", "ticker"]) == 2, "unschedule removes two instances")
    client.delete_task("py-sdk")
    client.close()
    print("PYTHON SDK OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
