"""The installed Python SDK's preview: PreviewSchedule of a schedule (DST marks) and of a stored
jittered instance. Usage: sdk_preview.py HOST:PORT

Prints one line per check and exits non-zero on the first failed check.
"""

import sys
from datetime import datetime, timedelta, timezone

import grpc

from partitura import Client, PartituraError, cron, every, instance
from partitura.v1 import scheduler_service_pb2 as sc
from partitura.schedules import to_datetime


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def main(address):
    with Client(address) as client:
        spring = client.preview(
            schedule=cron("30 2 * * *", "Europe/Berlin"),
            start=datetime(2027, 3, 27, 12, tzinfo=timezone.utc),
            count=2,
        )
        check(
            [to_datetime(s.at).isoformat() for s in spring.slots]
            == ["2027-03-28T01:30:00+00:00", "2027-03-29T00:30:00+00:00"],
            "preview lists the engine's slots of a schedule",
        )
        check(
            [s.dst for s in spring.slots] == [sc.SLOT_DST_MARK_MOVED, sc.SLOT_DST_MARK_UNSPECIFIED]
            and spring.slots[0].local_time == "2027-03-28T02:30:00",
            "the spring-forward slot is marked moved, with the wall time that did not exist",
        )

        client.put_task("py-preview", dynamic=True)
        client.schedule("py-preview", [instance("c-1", every(60, jitter=timedelta(seconds=30)))])
        stored = client.get_instance("py-preview", "c-1")
        check(stored.schedule.jitter.seconds == 30, "every(..., jitter=) stores the jitter")
        slots = client.preview("py-preview", "c-1", count=3).slots
        check(len(slots) == 3 and slots[0].at == stored.next_run_at, "a stored instance previews from its next_run_at")
        check(
            all(0 <= (to_datetime(s.deliver_at) - to_datetime(s.at)).total_seconds() < 30 for s in slots),
            "each slot's deliver_at lies within the jitter after it",
        )
        held = stored.locked_until if stored.HasField("locked_until") else stored.next_run_at
        check(slots[0].deliver_at == held, "the first previewed delivery is when the instance is held until")
        try:
            client.preview("py-preview", "c-1", count=101)
            check(False, "a count over 100 is refused")
        except PartituraError as error:
            check(error.code == grpc.StatusCode.INVALID_ARGUMENT and error.message.startswith("count:"),
                  "a count over 100 raises INVALID_ARGUMENT naming count")
        client.delete_task("py-preview")
    print("PYTHON SDK PREVIEW OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
