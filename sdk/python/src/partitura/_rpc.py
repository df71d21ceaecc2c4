"""Typed call objects over a grpc channel. grpc_python_plugin 1.51 writes untyped stubs (no
.pyi), so the SDK binds each method itself from the typed generated messages instead."""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, Optional, TypeVar, cast

import grpc

from partitura.v1 import execution_service_pb2 as ex

from .connection import Metadata

Req = TypeVar("Req")
Resp = TypeVar("Resp")

SCHEDULER = "/partitura.v1.SchedulerService/"
EXECUTION = "/partitura.v1.ExecutionService/"


def _serialize(message: Any) -> bytes:
    return cast(bytes, message.SerializeToString())


class Unary(Generic[Req, Resp]):
    """One unary method: `call(request, timeout=, metadata=)` returns the response or raises grpc.RpcError."""

    def __init__(self, channel: grpc.Channel, path: str, parse: Callable[[bytes], Resp]) -> None:
        self._method = channel.unary_unary(path, request_serializer=_serialize, response_deserializer=parse)

    def __call__(self, request: Req, *, timeout: Optional[float], metadata: Metadata) -> Resp:
        return cast(Resp, self._method(request, timeout=timeout, metadata=metadata))


class ExecuteCall:
    """The Execute stream: iterate it for responses; cancel() ends it."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> Iterator[ex.ExecuteResponse]:
        return cast(Iterator[ex.ExecuteResponse], iter(self._call))

    def cancel(self) -> None:
        self._call.cancel()


class ExecutionRpcs:
    """ExecutionService on one channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._execute = channel.unary_stream(
            EXECUTION + "Execute", request_serializer=_serialize, response_deserializer=ex.ExecuteResponse.FromString
        )
        self.ack: Unary[ex.AckRequest, ex.AckResponse] = Unary(channel, EXECUTION + "Ack", ex.AckResponse.FromString)
        self.extend_leases: Unary[ex.ExtendLeasesRequest, ex.ExtendLeasesResponse] = Unary(
            channel, EXECUTION + "ExtendLeases", ex.ExtendLeasesResponse.FromString
        )

    def execute(self, request: ex.ExecuteRequest, metadata: Metadata) -> ExecuteCall:
        return ExecuteCall(self._execute(request, metadata=metadata))
