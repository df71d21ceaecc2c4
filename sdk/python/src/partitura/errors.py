"""One exception type for every failed call, carrying the gRPC status code and the server's message."""

from __future__ import annotations

from typing import Optional, Tuple

import grpc

REFRESH_MAP_TRAILER = "partitura-refresh-map"
"""Trailer a server sets when a worker should re-read GetPartitionMap (ownership changed)."""


class PartituraError(Exception):
    """A call failed: `code` is the gRPC status, `message` the server's text (it names the field)."""

    def __init__(self, code: grpc.StatusCode, message: str, trailers: Tuple[Tuple[str, str], ...] = ()) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.trailers = trailers

    @property
    def refresh_map(self) -> bool:
        """True when the server asked clients to re-read the partition map."""
        return any(key == REFRESH_MAP_TRAILER for key, _ in self.trailers)


def from_rpc_error(error: grpc.RpcError) -> PartituraError:
    """The PartituraError of a grpc.RpcError (grpcio raises calls' errors as RpcError that is also a Call)."""
    code: Optional[grpc.StatusCode] = getattr(error, "code", lambda: None)()
    details: Optional[str] = getattr(error, "details", lambda: None)()
    trailers = getattr(error, "trailing_metadata", lambda: None)() or ()
    return PartituraError(
        code or grpc.StatusCode.UNKNOWN,
        details or str(error),
        tuple((str(k), str(v)) for k, v in trailers),
    )
