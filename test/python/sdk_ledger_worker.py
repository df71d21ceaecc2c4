"""A Worker of the installed Python SDK for the fault tests (test/support/worker-faults.ts).
Usage: sdk_ledger_worker.py HOST:PORT TASK MAX_IN_FLIGHT HOLD_SECONDS

Follows the partition map from HOST:PORT and prints one JSON line per handler start
(`start {...}`: instance, slot and lease expiry in epoch ms, attempt, at) and end (`end {...}`);
each handler holds its execution HOLD_SECONDS. When stdin closes it stops gracefully and prints
`STOPPED` with the worker's counters, then exits 0.
"""

import json
import sys
import threading
import time

import partitura
from partitura import Worker


def main(address, task, max_in_flight, hold):
    print(f"package: {partitura.__file__}", flush=True)
    lock = threading.Lock()

    def emit(event, execution, extra):
        line = {"instance": execution.instance, "attempt": execution.attempt, "at": round(time.time() * 1000)}
        line.update(extra)
        with lock:  # threads must not interleave their lines
            print(f"{event} {json.dumps(line)}", flush=True)

    def handler(execution):
        message = execution.message
        emit("start", execution, {
            "slot": message.scheduled_at.ToMilliseconds(),
            "leaseExpiresAt": message.lease_expires_at.ToMilliseconds(),
        })
        time.sleep(hold)
        emit("end", execution, {})

    worker = Worker(address, task, handler, max_in_flight=max_in_flight, on_error=lambda e: None)
    worker.start()
    sys.stdin.read()  # until the test closes stdin
    worker.stop(10)
    stats = {"delivered": worker.stats.delivered, "succeeded": worker.stats.succeeded,
             "failed": worker.stats.failed, "acks_refused": worker.stats.acks_refused}
    print(f"STOPPED {json.dumps(stats)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
