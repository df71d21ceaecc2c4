"""Run a task's executions: a Worker with at most 8 running at once, stopped gracefully."""

import os
import threading
from datetime import datetime, timezone

from partitura import Client, Execution, RetryLater, Worker, at, instance

address = os.environ.get("PARTITURA_ADDRESS", "127.0.0.1:50051")

with Client(address) as client:
    client.put_task("emails", dynamic=True, failure_mode="unlock")
    now = datetime.now(timezone.utc)
    client.schedule("emails", [instance(f"welcome-{n}", at(now), {"to": f"user{n}@example.com"}) for n in range(3)])

sent: set[str] = set()
sent_lock = threading.Lock()  # executions run on up to 8 threads at once
all_sent = threading.Event()


def send_email(execution: Execution) -> None:
    if execution.cancelled.is_set():  # the lease was lost, or the worker is stopping
        raise RetryLater(5.0)
    with sent_lock:  # one line at a time: print() from two threads can interleave its text and newline
        print(f"sending to {execution.args['to']} (attempt {execution.attempt})", flush=True)
        sent.add(execution.instance)
        if len(sent) == 3:
            all_sent.set()


with Worker(address, "emails", send_email, max_in_flight=8):
    all_sent.wait(timeout=30)
# Leaving the block calls stop(): running executions finish and are acked before it returns.
print("sent", len(sent), "emails")
