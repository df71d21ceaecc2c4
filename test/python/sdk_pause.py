"""The Python SDK Client's pause and resume (issue 14). Usage: sdk_pause.py HOST:PORT

Schedules an instance, pauses it with a note, reads the state back, resumes it (with and
without skip_missed) and checks the refusals. Prints one line per check and exits non-zero on
the first failed check.
"""

import sys

from partitura import Client, PartituraError, cron, instance
from partitura.v1 import instance_pb2


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def main(address):
    with Client(address) as client:
        client.put_task("py-pause", dynamic=True, partition_count=4)
        client.schedule("py-pause", [instance("nightly", cron("0 3 * * *", "Europe/Berlin"))])

        outcomes = client.pause("py-pause", ["nightly", "nobody"], note="ops: migrating (ada)")
        check(outcomes == ["paused", "not_found"], f"pause answers per name: {outcomes}")
        got = client.get_instance("py-pause", "nightly")
        check(got.state == instance_pb2.INSTANCE_STATE_PAUSED, "get_instance shows the paused state")
        check(got.pause_note == "ops: migrating (ada)" and got.HasField("paused_at"), "and the note and time")
        check(client.pause("py-pause", ["nightly"], note="again") == ["already_paused"], "pause is idempotent")
        check(client.get_instance("py-pause", "nightly").pause_note == "ops: migrating (ada)", "the first note stays")

        check(client.resume("py-pause", ["nightly"], skip_missed=True) == ["resumed"], "resume with skip_missed")
        got = client.get_instance("py-pause", "nightly")
        check(got.state == instance_pb2.INSTANCE_STATE_ACTIVE and got.pause_note == "", "active again, note gone")
        check(client.resume("py-pause", ["nightly", "nobody"]) == ["not_paused", "not_found"], "resume per name")

        partition = client.get_instance("py-pause", "nightly").partition
        check(client.pause_partition("py-pause", partition, note="shard") == 1, "pause_partition pauses its one instance")
        check(client.pause_partition("py-pause", partition) == 0, "and is idempotent")
        check(client.resume_partition("py-pause", partition) == 1, "resume_partition brings it back")

        try:
            client.pause("py-pause", ["nightly"], note="x" * 501)
            check(False, "a note over 500 bytes is refused")
        except PartituraError as error:
            check(error.code.name == "INVALID_ARGUMENT" and error.message.startswith("note:"),
                  "a note over 500 bytes raises PartituraError(INVALID_ARGUMENT) naming the field")
    print("PYTHON PAUSE OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
