"""How the SDK reaches a server: plaintext or TLS channels, and the bearer token on every call."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import grpc

Metadata = Tuple[Tuple[str, str], ...]

_KEEPALIVE: List[Tuple[str, int]] = [
    # A vanished server (a killed pod) is noticed within a minute, not after TCP's hours.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
]


@dataclass(frozen=True)
class Connection:
    """Channel settings shared by a Client and a Worker.

    `tls` turns on TLS (system roots unless `root_certificates` is given); `private_key` and
    `certificate_chain` add a client certificate; `token` is sent as `authorization: Bearer TOKEN`
    on every call; `options` are extra grpc channel arguments.
    """

    tls: bool = False
    root_certificates: Optional[bytes] = None
    private_key: Optional[bytes] = None
    certificate_chain: Optional[bytes] = None
    token: Optional[str] = None
    options: Sequence[Tuple[str, object]] = field(default_factory=tuple)

    def channel(self, address: str) -> grpc.Channel:
        """A new channel to `address` (host:port)."""
        options = [*_KEEPALIVE, *self.options]
        if self.tls or self.root_certificates is not None or self.certificate_chain is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.root_certificates,
                private_key=self.private_key,
                certificate_chain=self.certificate_chain,
            )
            return grpc.secure_channel(address, credentials, options=options)
        return grpc.insecure_channel(address, options=options)

    def metadata(self) -> Metadata:
        """Metadata every call carries. The token goes as plain metadata rather than call
        credentials because grpcio refuses call credentials on a plaintext channel, and a
        token over plaintext is a legitimate setup behind a TLS-terminating proxy."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


class Channels:
    """One channel per address (the Worker talks to every replica the partition map names)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._channels: Dict[str, grpc.Channel] = {}

    def get(self, address: str) -> grpc.Channel:
        with self._lock:
            channel = self._channels.get(address)
            if channel is None:
                channel = self._connection.channel(address)
                self._channels[address] = channel
            return channel

    def close(self) -> None:
        with self._lock:
            channels = list(self._channels.values())
            self._channels.clear()
        for channel in channels:
            channel.close()
