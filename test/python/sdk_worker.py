"""A Worker of the installed Python SDK that runs until every named instance has executed.
Usage: sdk_worker.py HOST:PORT TASK COUNT [HOLD_SECONDS]

The instances are expected to be named item-0 .. item-(COUNT-1). Prints one line per execution
(`exec NAME ATTEMPT ARGS_JSON`) and, once all have run, waits until the worker's acks are confirmed and
prints `DONE` with the worker's counters.
"""

import json
import sys
import threading
import time

import partitura
from partitura import Worker


def main(address, task, count, hold):
    print(f"package: {partitura.__file__}", flush=True)
    names = {f"item-{i}" for i in range(count)}
    seen = set()
    lock = threading.Lock()
    done = threading.Event()

    def handler(execution):
        time.sleep(hold)
        with lock:
            print(f"exec {execution.instance} {execution.attempt} {json.dumps(execution.args, sort_keys=True)}", flush=True)
            seen.add(execution.instance)
            if names <= seen:
                done.set()

    errors = []
    worker = Worker(address, task, handler, max_in_flight=4, on_error=lambda e: errors.append(str(e)))
    worker.start()
    addresses = []
    if not done.wait(90):
        print(f"TIMEOUT: missing {sorted(names - seen)}", flush=True)
        worker.stop(1)
        sys.exit(1)
    addresses = worker.addresses
    worker.stop(5)
    stats = {"delivered": worker.stats.delivered, "succeeded": worker.stats.succeeded,
             "failed": worker.stats.failed, "acks_refused": worker.stats.acks_refused,
             "map_versions": worker.stats.map_versions, "errors": len(errors), "addresses": addresses}
    print(f"DONE {json.dumps(stats)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
