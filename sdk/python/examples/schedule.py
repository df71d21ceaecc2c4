"""Define a dynamic task and schedule instances of it with the three kinds of schedule."""

import os
from datetime import datetime, timedelta, timezone

from partitura import Client, PartituraError, at, cron, every, instance

address = os.environ.get("PARTITURA_ADDRESS", "127.0.0.1:50051")

with Client(address) as client:
    client.put_task(
        "reports",
        dynamic=True,
        partition_count=8,
        lease_duration=timedelta(seconds=30),
        default_args={"format": "pdf"},
    )
    client.schedule(
        "reports",
        [
            instance("daily-ada", cron("0 9 * * 1-5", "Europe/Berlin"), {"user": "ada"}),
            instance("hourly-sync", every(timedelta(hours=1))),
            instance("one-off", at(datetime.now(timezone.utc) + timedelta(minutes=10))),
        ],
    )
    for inst in client.list_instances("reports"):
        print(inst.name, "partition", inst.partition, "next", inst.next_run_at.ToJsonString())

    try:
        client.schedule("reports", [instance("broken", cron("61 * * * *"))])
    except PartituraError as error:
        print("refused:", error.code.name, error.message)
