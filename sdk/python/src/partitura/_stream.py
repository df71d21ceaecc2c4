"""One Execute stream to one replica, reopened with backoff until it is retired."""

from __future__ import annotations

import threading
from typing import Callable, Optional, Sequence

import grpc

from partitura.v1 import execution_service_pb2 as ex

from ._rpc import ExecuteCall, ExecutionRpcs
from .connection import Channels, Metadata
from .errors import PartituraError, from_rpc_error
from .retry import RetryPolicy

RECONNECT = RetryPolicy(initial_delay=0.1, max_delay=5.0)


class ExecuteStream:
    """Holds `Execute(task, partitions)` open on `address`. Each execution goes to `deliver`;
    each end of the call (a server restart, a partition move) goes to `ended`, then the stream
    opens again after a backoff with jitter, reset whenever a message arrives."""

    def __init__(
        self,
        *,
        address: str,
        request: ex.ExecuteRequest,
        channels: Channels,
        metadata: Metadata,
        deliver: Callable[[ex.Execution, "ExecuteStream"], None],
        ended: Callable[["ExecuteStream", Optional[PartituraError]], None],
    ) -> None:
        self.address = address
        self.partitions: Sequence[int] = tuple(request.partitions)
        self._request = request
        self._rpcs = ExecutionRpcs(channels.get(address))
        self._metadata = metadata
        self._deliver = deliver
        self._ended = ended
        self._lock = threading.Lock()
        self._call: Optional[ExecuteCall] = None
        self.retired = threading.Event()
        """Set once closed for good."""
        self.retiring = threading.Event()
        """Set when the map no longer wants this stream: it takes nothing new until it closes."""
        self._thread = threading.Thread(target=self._run, name=f"partitura-execute-{address}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Ends the stream for good; the server releases the leases it still holds for it."""
        with self._lock:
            self.retired.set()
            call = self._call
        if call is not None:
            call.cancel()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        attempt = 0
        while not self.retired.is_set():
            call = self._rpcs.execute(self._request, self._metadata)
            with self._lock:
                if self.retired.is_set():
                    call.cancel()
                    return
                self._call = call
            error: Optional[PartituraError] = None
            try:
                for response in call:
                    attempt = 0
                    for execution in response.executions:
                        self._deliver(execution, self)
            except grpc.RpcError as rpc_error:
                error = from_rpc_error(rpc_error)
            with self._lock:
                self._call = None
            if self.retired.is_set():
                return
            self._ended(self, error)
            self.retired.wait(RECONNECT.delay(min(attempt, 8)))
            attempt += 1
