"""The Worker: runs a task's executions on a thread pool, following the partition map."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import grpc

from partitura.v1 import execution_service_pb2 as ex

from ._acks import AckBatcher
from ._routes import Routes, credit_per_stream, routes_of
from ._slots import REMEMBER_MIN, SlotIndex, slot_of
from ._rpc import ExecutionRpcs
from ._stream import ExecuteStream
from .client import Client
from .connection import Channels, Connection
from .errors import PartituraError, from_rpc_error
from .execution import Execution, Handler, RetryLater
from .retry import RetryPolicy
from .schedules import duration

log = logging.getLogger("partitura")

HEARTBEAT_TICK = 0.1
"""Seconds between looks for leases to renew (short leases need a fine tick)."""


@dataclass
class _Lease:
    """One run and the lease it holds now: a redelivery of its slot takes over (see _slots.py),
    so the lease id, stream, attempt and expiry may change while `execution` stays the one the
    handler got."""

    execution: Execution
    lease_id: str
    attempt: int
    stream: ExecuteStream
    lease_seconds: float
    renew_at: float
    expires_at: float
    """Epoch seconds the lease held now expires, as last told (delivery or heartbeat)."""
    started: bool = False


@dataclass
class WorkerStats:
    """Counters of one Worker, for logs and tests."""

    delivered: int = 0
    succeeded: int = 0
    failed: int = 0
    acks_refused: int = 0
    """Acks the server answered with LEASE_LOST or NOT_FOUND (the execution may run again)."""
    map_versions: List[int] = field(default_factory=list)


class Worker:
    """A worker on one task. It reads GetPartitionMap and holds one Execute stream per replica
    that owns partitions (re-reading the map every `map_interval` seconds, on UNAVAILABLE and
    when a server asks with the `partitura-refresh-map` trailer), runs each execution with
    `handler` on a pool of `max_in_flight` threads, heartbeats every third of a lease, acks in
    batches and reconnects with backoff. Deliveries are at-least-once: make handlers idempotent.

    Use it as a context manager, or call start() and stop(grace).
    """

    def __init__(
        self,
        address: str,
        task: str,
        handler: Handler,
        *,
        partitions: Optional[Sequence[int]] = None,
        worker_id: str = "",
        max_in_flight: int = 16,
        ack_delay: float = 0.005,
        map_interval: float = 5.0,
        connection: Optional[Connection] = None,
        tls: bool = False,
        token: Optional[str] = None,
        on_error: Optional[Callable[[Exception], None]] = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.task = task
        self.stats = WorkerStats()
        self._handler = handler
        self._partitions = None if partitions is None else tuple(partitions)
        self._worker_id = worker_id or f"python-{uuid.uuid4().hex[:12]}"
        self._max_in_flight = max_in_flight
        self._map_interval = map_interval
        self._on_error = on_error or (lambda error: log.warning("partitura worker: %s", error))
        self._connection = connection or Connection(tls=tls, token=token)
        self._metadata = self._connection.metadata()
        self._client = Client(address, connection=self._connection, retry_policy=RetryPolicy(attempts=1))
        self._bootstrap = address
        self._channels = Channels(self._connection)
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="partitura-run")
        self._acks = AckBatcher(self._channels, self._metadata, ack_delay, self._report, self._count_acks)
        self._cond = threading.Condition()
        self._leases: Dict[str, _Lease] = {}
        """By the lease id each run holds now."""
        self._slots: SlotIndex[_Lease] = SlotIndex()
        self._streams: Dict[str, ExecuteStream] = {}
        self._routes: Optional[Routes] = None
        self._version: Optional[int] = None
        self._refresh = threading.Event()
        self._halt = threading.Event()
        self._stopping = False
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._threads: List[threading.Thread] = []

    def __enter__(self) -> "Worker":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> "Worker":
        """Reads the partition map and opens the streams; executions arrive as they fall due."""
        for target, name in ((self._follow_map, "partitura-map"), (self._heartbeat, "partitura-heartbeat")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    @property
    def in_flight(self) -> int:
        """Executions held now (running, or about to run)."""
        with self._cond:
            return len(self._leases)

    @property
    def addresses(self) -> List[str]:
        """The replicas this worker holds a stream to."""
        with self._cond:
            return sorted(self._streams)

    def stop(self, grace: float = 10.0) -> None:
        """Stops taking executions and lets running ones finish for up to `grace` seconds; then
        sets their `cancelled` event and acks them as failures. Executions that arrived but had
        not started are not acked: closing the streams releases them at once to other workers.
        Idempotent; a second call waits for the first."""
        with self._cond:
            if self._stopping:
                first = False
            else:
                self._stopping = first = True
        if not first:
            self._stopped.wait()
            return
        self._halt.set()
        self._refresh.set()
        deadline = time.monotonic() + grace
        with self._cond:
            for lease_id in [k for k, lease in self._leases.items() if not lease.started]:
                del self._leases[lease_id]
            while self._leases and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            overdue = list(self._leases.values())
        for lease in overdue:
            lease.execution.cancelled.set()
            self._finish(lease, ex.OUTCOME_FAILURE, 0.0)
        # The streams stay open until the last acks are sent: closing them first would release
        # leases the handlers already finished, and those executions would run twice.
        self._acks.close(timeout=5.0)
        self._done.set()
        with self._cond:
            streams = list(self._streams.values())
            self._streams.clear()
        for stream in streams:
            stream.close()
        for thread in self._threads:
            thread.join(2.0)
        for stream in streams:
            stream.join(2.0)
        self._pool.shutdown(wait=False)
        self._client.close()
        self._channels.close()
        self._stopped.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the worker has stopped; True if it has."""
        return self._stopped.wait(timeout)

    # Partition map

    def _follow_map(self) -> None:
        attempt = 0
        while not self._halt.is_set():
            try:
                partition_map = self._client.get_partition_map(self.task)
                routes = routes_of(partition_map, self._partitions)
                version = int(partition_map.version)
                attempt = 0
                if version != self._version or routes != self._routes:
                    self._version = version
                    self.stats.map_versions.append(version)
                    self._reroute(routes)
                wait = self._map_interval
            except PartituraError as error:
                if error.code == grpc.StatusCode.UNIMPLEMENTED and self._routes is None:
                    # A server without the map: one stream to the address we were given.
                    self._reroute({self._bootstrap: self._partitions or ()})
                    return
                self._report(error)
                wait = min(self._map_interval, RetryPolicy().delay(min(attempt, 6)))
                attempt += 1
            self._refresh.wait(wait)
            self._refresh.clear()

    def _reroute(self, routes: Routes) -> None:
        credit = credit_per_stream(self._max_in_flight, len(routes))
        with self._cond:
            if self._stopping:
                return
            old = self._routes or {}
            self._routes = routes
            retired = [s for a, s in self._streams.items() if a not in routes or routes[a] != old.get(a)]
            for stream in retired:
                # It takes nothing new from now on: what still arrives on it is released to the
                # new stream when it closes. Started, it would be released while it runs.
                stream.retiring.set()
                del self._streams[stream.address]
            opened: List[ExecuteStream] = []
            for address, partitions in routes.items():
                if address in self._streams:
                    continue
                request = ex.ExecuteRequest(
                    task=self.task, partitions=partitions, worker_id=self._worker_id, max_in_flight=credit
                )
                stream = ExecuteStream(
                    address=address,
                    request=request,
                    channels=self._channels,
                    metadata=self._metadata,
                    deliver=self._deliver,
                    ended=self._stream_ended,
                )
                self._streams[address] = stream
                opened.append(stream)
        for stream in opened:
            stream.start()
        for stream in retired:
            threading.Thread(target=self._drain, args=(stream,), name="partitura-drain", daemon=True).start()

    def _drain(self, stream: ExecuteStream) -> None:
        """Closes a stream the map no longer wants once its running executions have been acked
        (closing it sooner would release their leases and run them twice), or after a lease."""
        with self._cond:
            mine = [lease for lease in self._leases.values() if lease.stream is stream]
            limit = time.monotonic() + max([lease.lease_seconds for lease in mine] + [1.0])
            while any(lease.stream is stream for lease in self._leases.values()) and time.monotonic() < limit:
                self._cond.wait(0.1)
        time.sleep(0.05)  # let the ack batcher send the last outcomes
        stream.close()

    def _stream_ended(self, stream: ExecuteStream, error: Optional[PartituraError]) -> None:
        if error is not None and error.code != grpc.StatusCode.CANCELLED:
            self._report(error)
        # Any end may mean the map moved (a server restart, a partition move): read it now.
        self._refresh.set()

    # Executions

    def _deliver(self, message: ex.Execution, stream: ExecuteStream) -> None:
        now, wall = time.monotonic(), time.time()
        expires_at = message.lease_expires_at.ToMilliseconds() / 1000.0
        lease_seconds = max(expires_at - wall, 0.001)
        with self._cond:
            # Arrivals while stopping (or on a retired stream) are not started: the stream's
            # close releases them at once to another worker.
            if self._stopping or stream.retired.is_set() or stream.retiring.is_set():
                return
            self.stats.delivered += 1
            # A redelivery of a slot this Worker runs or ran (its stream was cut): see _slots.py.
            earlier = self._slots.running_for(message)
            if earlier is not None:
                del self._leases[earlier.lease_id]
                earlier.lease_id, earlier.attempt, earlier.stream = message.lease_id, message.attempt, stream
                earlier.lease_seconds, earlier.expires_at = lease_seconds, expires_at
                earlier.renew_at = now + lease_seconds / 3
                self._leases[message.lease_id] = earlier
                self._slots.start(message, earlier)
                self._cond.notify_all()
                return
            done_before = self._slots.succeeded_before(message, wall)
            if not done_before:
                lease = _Lease(
                    Execution(message), message.lease_id, message.attempt, stream,
                    lease_seconds, now + lease_seconds / 3, expires_at,
                )
                self._leases[message.lease_id] = lease
                self._slots.start(message, lease)
        if done_before:
            self._acks.add(stream.address, ex.AckItem(lease_id=message.lease_id, outcome=ex.OUTCOME_SUCCESS))
            return
        self._pool.submit(self._run, lease)

    def _run(self, lease: _Lease) -> None:
        with self._cond:
            if self._leases.get(lease.lease_id) is not lease:
                return
            lease.started = True
        try:
            self._handler(lease.execution)
        except RetryLater as later:
            self._finish(lease, ex.OUTCOME_FAILURE, later.delay)
        except Exception as error:  # any handler failure is a FAILURE ack
            log.info("partitura: %r failed: %s", lease.execution, error)
            # The server keeps the message as the note of a dead-lettered or paused instance.
            self._finish(lease, ex.OUTCOME_FAILURE, 0.0, str(error) or type(error).__name__)
        else:
            self._finish(lease, ex.OUTCOME_SUCCESS, 0.0)

    def _finish(self, lease: _Lease, outcome: int, retry_after: float, error: str = "") -> None:
        with self._cond:
            lease_id, address = lease.lease_id, lease.stream.address
            if self._leases.get(lease_id) is not lease:
                return  # acked already (stop()'s grace ran out)
            del self._leases[lease_id]
            succeeded = outcome == ex.OUTCOME_SUCCESS
            if succeeded:
                self.stats.succeeded += 1
            else:
                self.stats.failed += 1
            forget_at = max(lease.expires_at + lease.lease_seconds, time.time() + REMEMBER_MIN)
            self._slots.finish(slot_of(lease.execution.message), lease_id, lease.attempt, succeeded, forget_at)
            self._cond.notify_all()
        item = ex.AckItem(lease_id=lease_id, outcome=outcome, error=error)  # type: ignore[arg-type]
        if retry_after > 0:
            item.retry_after.CopyFrom(duration(retry_after))
        self._acks.add(address, item)

    def _count_acks(self, results: List[ex.AckResult]) -> None:
        with self._cond:
            self.stats.acks_refused += sum(1 for r in results if r.status != ex.LEASE_STATUS_OK)
            for result in results:
                if result.status != ex.LEASE_STATUS_LEASE_LOST:
                    self._slots.confirmed(result.lease_id)

    # Heartbeats

    def _heartbeat(self) -> None:
        # Runs until stop() has sent the last acks: executions finishing during the grace
        # period still need their leases kept.
        while not self._done.wait(HEARTBEAT_TICK):
            now = time.monotonic()
            due: Dict[str, List[_Lease]] = {}
            with self._cond:
                for lease in self._leases.values():
                    if lease.renew_at <= now:
                        lease.renew_at = now + lease.lease_seconds / 3
                        due.setdefault(lease.stream.address, []).append(lease)
            for address, leases in due.items():
                self._extend(address, leases)

    def _extend(self, address: str, leases: List[_Lease]) -> None:
        rpcs = ExecutionRpcs(self._channels.get(address))
        by_id = {lease.lease_id: lease for lease in leases}
        request = ex.ExtendLeasesRequest(items=[ex.ExtendItem(lease_id=lease_id) for lease_id in by_id])
        try:
            response = rpcs.extend_leases(request, timeout=10.0, metadata=self._metadata)
        except grpc.RpcError as rpc_error:
            self._report(from_rpc_error(rpc_error))
            return
        with self._cond:
            for result in response.results:
                lease = by_id.get(result.lease_id)
                # A run that took over a newer lease meanwhile is not touched by the old one's fate.
                if lease is None or lease.lease_id != result.lease_id:
                    continue
                if result.status != ex.LEASE_STATUS_OK:
                    # The lease is gone (expired, or the instance was unscheduled): stop the work.
                    lease.execution.cancelled.set()
                elif result.HasField("lease_expires_at"):
                    lease.expires_at = result.lease_expires_at.ToMilliseconds() / 1000.0

    def _report(self, error: Exception) -> None:
        try:
            self._on_error(error)
        except Exception:  # a failing error callback must not kill a worker thread
            log.exception("partitura: on_error raised")
