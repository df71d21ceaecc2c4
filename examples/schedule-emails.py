"""The Python Client schedules three one-off emails; a TypeScript Worker (examples/worker.mjs) runs them."""

import os
from datetime import datetime, timezone

from partitura import Client, at, instance

with Client(os.environ.get("PARTITURA_ADDRESS", "127.0.0.1:50051")) as client:
    client.put_task("emails", dynamic=True, partition_count=4)
    now = datetime.now(timezone.utc)
    people = ["ada", "bob", "cy"]
    client.schedule("emails", [instance(f"welcome-{p}", at(now), {"to": f"{p}@example.com"}) for p in people])
    print("scheduled", len(people))
