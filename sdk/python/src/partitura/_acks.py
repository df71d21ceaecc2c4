"""Batched acks: handlers' outcomes collected for a few milliseconds and sent in one Ack per replica."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Callable, Dict, List, Tuple

import grpc

from partitura.v1 import execution_service_pb2 as ex

from . import retry
from ._rpc import ExecutionRpcs
from .connection import Channels, Metadata
from .errors import PartituraError

ACK_BATCH = 512
"""Most items in one Ack call."""


class AckBatcher:
    """Sends acks from one thread. Acks are idempotent, so an ack that meets UNAVAILABLE (a
    restarting server) is sent again with backoff for up to `retry_for` seconds; past that the
    lease expires and the execution runs again (at-least-once)."""

    def __init__(
        self,
        channels: Channels,
        metadata: Metadata,
        delay: float,
        on_error: Callable[[Exception], None],
        on_results: Callable[[List[ex.AckResult]], None],
        retry_for: float = 30.0,
    ) -> None:
        self._channels = channels
        self._metadata = metadata
        self._delay = delay
        self._on_error = on_error
        self._on_results = on_results
        self._retry_for = retry_for
        self._pending: List[Tuple[str, ex.AckItem]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="partitura-acks", daemon=True)
        self._thread.start()

    def add(self, address: str, item: ex.AckItem) -> None:
        with self._cond:
            self._pending.append((address, item))
            self._cond.notify()

    def close(self, timeout: float) -> None:
        """Sends what is pending (retrying for at most `timeout`), then ends the thread."""
        with self._cond:
            self._closed = True
            self._retry_for = min(self._retry_for, timeout)
            self._cond.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
            # Let outcomes that finish together share one call.
            time.sleep(self._delay)
            with self._cond:
                batch, self._pending = self._pending, []
            by_address: Dict[str, List[ex.AckItem]] = defaultdict(list)
            for address, item in batch:
                by_address[address].append(item)
            for address, items in by_address.items():
                for start in range(0, len(items), ACK_BATCH):
                    self._send(address, items[start : start + ACK_BATCH])

    def _send(self, address: str, items: List[ex.AckItem]) -> None:
        rpcs = ExecutionRpcs(self._channels.get(address))
        request = ex.AckRequest(items=items)
        deadline = time.monotonic() + self._retry_for
        attempt = 0
        while True:
            try:
                response = rpcs.ack(request, timeout=10.0, metadata=self._metadata)
                self._on_results(list(response.results))
                return
            except grpc.RpcError as rpc_error:
                error: PartituraError = retry.from_rpc_error(rpc_error)
            if error.code != grpc.StatusCode.UNAVAILABLE or time.monotonic() >= deadline:
                self._on_error(error)
                return
            time.sleep(retry.RetryPolicy().delay(min(attempt, 6)))
            attempt += 1
