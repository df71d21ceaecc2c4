"""What Client.trigger and Client.backfill answer, and the words for why an execution runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Optional

from partitura.v1 import instance_pb2


@dataclass(frozen=True)
class TriggerResult:
    """What Client.trigger did: one outcome per name, in the order of the names ("accepted",
    "queued", "duplicate", "busy", "not_active" or "not_found"), and the request id sent: send
    it again and nothing runs twice."""

    request_id: str
    outcomes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackfillResult(TriggerResult):
    """What Client.backfill did: as TriggerResult (plus the outcome "no_slots"), and per name how
    many slots it will run (0 unless "accepted" or "queued")."""

    slots: list[int] = field(default_factory=list)


def reason_name(value: int) -> str:
    """An ExecutionReason as a word: "scheduled", "retry", "triggered", "backfill"; "" for unset."""
    if value == instance_pb2.EXECUTION_REASON_UNSPECIFIED:
        return ""
    try:
        return str(instance_pb2.ExecutionReason.Name(value)).removeprefix("EXECUTION_REASON_").lower()
    except ValueError:  # a reason newer than this SDK
        return str(value)


def manual_run(instance: instance_pb2.Instance) -> str:
    """"triggered" or "backfill" while a trigger or backfill of `instance` is queued or running
    (Instance.manual_run), "" otherwise."""
    return reason_name(instance.manual_run)


def request_id_of(request_id: Optional[str]) -> str:
    """The request id to send: the caller's, or a fresh one. The SDK makes it (not the server)
    so that a call retried after a lost reply finds its first run instead of starting another."""
    return request_id if request_id else str(uuid.uuid4())
