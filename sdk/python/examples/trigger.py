"""Manual runs: trigger runs an hourly instance once now without moving its next slot; backfill
runs the slots of the last 3 hours, oldest first, one at a time."""

import os
import threading
import time
from datetime import datetime, timedelta, timezone

from partitura import Client, Execution, Worker, cron, instance, manual_run

address = os.environ.get("PARTITURA_ADDRESS", "127.0.0.1:50051")
runs: list = []  # what the handler ran, in order; printed by the main thread, so lines keep their order
ran = threading.Condition()


def report(execution: Execution) -> None:
    with ran:
        runs.append(execution)
        ran.notify_all()


def show_runs(first: int, upto: int) -> None:
    """Waits until `upto` executions ran, then prints those from `first` on."""
    with ran:
        ran.wait_for(lambda: len(runs) >= upto, timeout=30)
        for execution in runs[first:upto]:
            print(f"{execution.instance} runs for {execution.scheduled_at:%H:%M} ({execution.reason})")


def next_slot(client: Client) -> datetime:
    """The instance's next slot once no manual run of it is queued or running."""
    while True:
        got = client.get_instance("reports", "sales")
        if manual_run(got) == "":
            return got.next_run_at.ToDatetime(timezone.utc)
        time.sleep(0.05)


with Client(address) as client:
    client.put_task("reports", dynamic=True)
    client.schedule("reports", [instance("sales", cron("0 * * * *"))])
    before = next_slot(client)
    with Worker(address, "reports", report):
        # Run it now, outside its schedule; the same request id again runs nothing.
        result = client.trigger("reports", ["sales", "nobody"])
        print(f"trigger: {result.outcomes}")
        show_runs(0, 1)
        again = client.trigger("reports", ["sales"], request_id=result.request_id)
        print(f"same request id again: {again.outcomes}")
        print(f"next slot unchanged: {next_slot(client) == before}")

        # The slots of the last 3 hours: after start, up to and including end.
        end = datetime.now(timezone.utc)
        backfill = client.backfill("reports", ["sales"], end - timedelta(hours=3), end)
        print(f"backfill: {backfill.outcomes} {backfill.slots} slots")
        show_runs(1, 4)
        print(f"next slot unchanged: {next_slot(client) == before}")
