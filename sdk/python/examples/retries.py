"""Retries and the dead-letter list: a failing slot runs again after its backoff, and after its
third attempt waits in the task's dead-letter list until it is requeued."""

import os
import threading
import time
from datetime import datetime, timezone

from partitura import Client, Execution, Worker, at, instance, retry_policy

address = os.environ.get("PARTITURA_ADDRESS", "127.0.0.1:50051")
feed_up = threading.Event()  # the feed is down until we say so
succeeded = threading.Event()
requeued = threading.Event()  # so the lines come out in the order things happened
print_lock = threading.Lock()  # the handler prints on the worker's threads


def say(line: str) -> None:
    with print_lock:
        print(line, flush=True)


def import_feed(execution: Execution) -> None:
    if not feed_up.is_set():
        say(f"attempt {execution.attempt} fails")
        raise ConnectionError("feed unreachable")  # a FAILURE ack; the message is kept
    requeued.wait(timeout=10)
    say(f"attempt {execution.attempt} succeeds")
    succeeded.set()


with Client(address) as client:
    policy = retry_policy(3, initial_interval=0.1, on_exhausted="dead_letter")  # waits 0.1 s, then 0.2 s
    client.put_task("imports", dynamic=True, retry_policy=policy)
    client.schedule("imports", [instance("feed-42", at(datetime.now(timezone.utc)))])
    with Worker(address, "imports", import_feed):
        dead: list = []
        while not dead:  # the third failure parks it
            time.sleep(0.05)
            dead = list(client.list_instances("imports", state="dead_lettered"))
        for letter in dead:
            say(f"dead letter {letter.name}: {letter.pause_note}")
        feed_up.set()
        outcomes = client.requeue_dead_letters("imports", ["feed-42"])
        say(f"requeue: {outcomes}")
        requeued.set()
        succeeded.wait(timeout=30)
