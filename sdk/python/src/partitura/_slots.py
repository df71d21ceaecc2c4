"""The slots a Worker runs, and those it finished whose acks the server has not confirmed.

Why a Worker must know its slots: the server releases a stream's unacked leases the moment the
stream closes, so that a vanished worker's executions run elsewhere at once. A stream that was
only cut (a dropped connection, the worker alive) gets the same treatment: its executions come
back on the reconnected stream, with a new lease and a higher attempt, while this Worker still
runs them, or after it ran them but before its ack got through. Running them again would be a
duplicate no lease expiry explains. So a redelivery of a slot running here takes over the new
lease (the run goes on and acks it), and one of a slot that succeeded here and whose ack the
server has not confirmed is acked at once without running. Only a higher attempt counts as a
redelivery: an instance made again starts at attempt 1. (The TypeScript SDK does the same, in
src/sdk/worker-slots.ts.)

Not thread-safe: the Worker calls it under its lock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, Generic, Optional, Tuple, TypeVar

from partitura.v1 import execution_service_pb2 as ex

REMEMBERED_SLOTS = 10_000
"""Most successes remembered while their acks are unconfirmed; past it the oldest are forgotten."""

REMEMBER_MIN = 60.0
"""Seconds a success is remembered at least (a server restart can take a while)."""

Slot = Tuple[int, str, int]
T = TypeVar("T")


def slot_of(message: ex.Execution) -> Slot:
    """One instance's one scheduled time (partition, instance, epoch ms), whatever its lease."""
    return (message.partition, message.instance, message.scheduled_at.ToMilliseconds())


@dataclass(frozen=True)
class _Done:
    slot: Slot
    attempt: int
    forget_at: float


class SlotIndex(Generic[T]):
    def __init__(self) -> None:
        self._running: Dict[Slot, Tuple[T, int]] = {}
        self._done: Dict[Slot, str] = {}
        self._unconfirmed: "OrderedDict[str, _Done]" = OrderedDict()

    def running_for(self, message: ex.Execution) -> Optional[T]:
        """The run of the same slot at a lower attempt, if this delivery is its redelivery."""
        entry = self._running.get(slot_of(message))
        return entry[0] if entry is not None and entry[1] < message.attempt else None

    def start(self, message: ex.Execution, value: T) -> None:
        """`message` now runs as `value` (first delivery, or a taken-over lease)."""
        self._running[slot_of(message)] = (value, message.attempt)

    def succeeded_before(self, message: ex.Execution, now: float) -> bool:
        """Whether this delivery redelivers a slot that succeeded here (ack unconfirmed); if so
        the memory moves to the new lease, which the caller acks as a success at once."""
        if self._unconfirmed:
            self._forget_expired(now)
        slot = slot_of(message)
        lease_id = self._done.get(slot)
        entry = None if lease_id is None else self._unconfirmed.get(lease_id)
        if lease_id is None or entry is None or entry.attempt >= message.attempt:
            return False
        del self._unconfirmed[lease_id]
        self._done[slot] = message.lease_id
        self._unconfirmed[message.lease_id] = _Done(slot, message.attempt, entry.forget_at)
        return True

    def finish(self, slot: Slot, lease_id: str, attempt: int, succeeded: bool, forget_at: float) -> None:
        """The run ended, acked under `lease_id`. A success is remembered until the server
        confirms the ack, or until `forget_at` (epoch s; at least REMEMBER_MIN from now)."""
        self._running.pop(slot, None)
        if not succeeded:
            return
        previous = self._done.get(slot)
        if previous is not None:
            self._unconfirmed.pop(previous, None)
        self._done[slot] = lease_id
        self._unconfirmed[lease_id] = _Done(slot, attempt, forget_at)
        while len(self._unconfirmed) > REMEMBERED_SLOTS:
            oldest, entry = next(iter(self._unconfirmed.items()))
            self._forget(oldest, entry)

    def confirmed(self, lease_id: str) -> None:
        """The server settled this lease's ack: the slot is committed and cannot come back."""
        entry = self._unconfirmed.get(lease_id)
        if entry is not None:
            self._forget(lease_id, entry)

    def _forget_expired(self, now: float) -> None:
        for lease_id, entry in [item for item in self._unconfirmed.items() if item[1].forget_at <= now]:
            self._forget(lease_id, entry)

    def _forget(self, lease_id: str, entry: _Done) -> None:
        self._unconfirmed.pop(lease_id, None)
        if self._done.get(entry.slot) == lease_id:
            del self._done[entry.slot]
