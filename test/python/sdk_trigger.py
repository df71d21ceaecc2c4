"""The Python SDK Client's trigger and backfill (issue 14). Usage: sdk_trigger.py HOST:PORT NOW_MS

The server runs on a manual clock stopped at NOW_MS, before the next slot of the hourly
instance "sales", so every execution the Worker sees is one trigger or backfill asked for.
Prints one line per check and exits non-zero on the first failed check.
"""

import sys
import threading
import time
from datetime import datetime, timedelta, timezone

from partitura import Client, PartituraError, Worker, cron, instance, manual_run

ran = []  # the Worker's executions, in order
ran_changed = threading.Condition()
hold_backfill = threading.Event()  # the first backfill slot runs until this is set


def handler(execution):
    with ran_changed:
        ran.append(execution)
        ran_changed.notify_all()
    if execution.reason == "backfill":
        hold_backfill.wait(timeout=30)


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def wait_runs(count):
    with ran_changed:
        return ran_changed.wait_for(lambda: len(ran) >= count, timeout=15)


def settled(client):
    """The instance once no trigger or backfill of it is queued or running."""
    for _ in range(300):
        got = client.get_instance("py-report", "sales")
        if manual_run(got) == "":
            return got
        time.sleep(0.05)
    check(False, "the manual run is settled")


def main(address, now_ms):
    now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
    with Client(address) as client:
        client.put_task("py-report", dynamic=True)
        client.schedule("py-report", [instance("sales", cron("0 * * * *"))])
        next_slot = client.get_instance("py-report", "sales").next_run_at.ToDatetime(timezone.utc)
        check(next_slot == datetime(2026, 6, 1, 13, tzinfo=timezone.utc), f"hourly, next at 13:00: {next_slot}")
        with Worker(address, "py-report", handler):
            result = client.trigger("py-report", ["sales", "nobody"])
            check(result.outcomes == ["accepted", "not_found"], f"trigger answers per name: {result.outcomes}")
            check(len(result.request_id) == 36, f"the SDK made a request id: {result.request_id}")
            check(wait_runs(1) and ran[0].reason == "triggered", "the execution's reason is triggered")
            check(settled(client).next_run_at.ToDatetime(timezone.utc) == next_slot, "the next slot did not move")
            again = client.trigger("py-report", ["sales"], request_id=result.request_id)
            check(again.outcomes == ["duplicate"] and again.request_id == result.request_id,
                  f"the same request id answers duplicate: {again}")
            time.sleep(0.3)
            check(len(ran) == 1, "and runs nothing")

            backfill = client.backfill("py-report", ["sales", "nobody"], now - timedelta(hours=3), now)
            check(backfill.outcomes == ["accepted", "not_found"] and backfill.slots == [3, 0],
                  f"backfill answers per name with slot counts: {backfill}")
            check(wait_runs(2), "the first backfill slot runs")
            check(manual_run(client.get_instance("py-report", "sales")) == "backfill",
                  "manual_run says backfill while it runs")
            busy = client.trigger("py-report", ["sales"])
            check(busy.outcomes == ["busy"], f"a trigger meanwhile answers busy: {busy.outcomes}")
            time.sleep(0.3)
            check(len(ran) == 2, "one slot at a time")
            hold_backfill.set()
            check(wait_runs(4), "the other two slots run")
            slots = [(e.reason, e.scheduled_at.strftime("%H:%M")) for e in ran[1:]]
            check(slots == [("backfill", "10:00"), ("backfill", "11:00"), ("backfill", "12:00")],
                  f"oldest first, reason backfill: {slots}")
            check(settled(client).next_run_at.ToDatetime(timezone.utc) == next_slot, "then it goes on at its next slot")

            try:
                client.backfill("py-report", ["sales"], datetime(2026, 1, 1, tzinfo=timezone.utc), now)
                check(False, "a range of more than 1000 slots is refused")
            except PartituraError as error:
                check(error.code.name == "INVALID_ARGUMENT" and error.message.startswith("end:"),
                      f"a range of more than 1000 slots raises INVALID_ARGUMENT naming end: {error.message}")
            try:
                client.backfill("py-report", ["sales"], datetime(2026, 6, 1), now)
                check(False, "a naive datetime is refused")
            except ValueError as error:
                check(str(error).startswith("start:"), "a naive datetime raises ValueError naming start")
            time.sleep(0.3)
            check(len(ran) == 4, "the refused backfills ran nothing")
    print("PYTHON TRIGGER OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
