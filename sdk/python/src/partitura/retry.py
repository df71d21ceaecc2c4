"""Retries with exponential backoff and full jitter, for idempotent calls that met UNAVAILABLE."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import grpc

from .errors import PartituraError, from_rpc_error

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n+1 a random sleep in [0, min(max_delay, initial_delay * 2**n)]."""

    attempts: int = 5
    initial_delay: float = 0.1
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (0-based): full jitter spreads a
        crowd of clients that all lost the same server, instead of having them return in step."""
        return random.uniform(0, min(self.max_delay, self.initial_delay * (2**attempt)))


NO_RETRY = RetryPolicy(attempts=1)


def call(policy: RetryPolicy, invoke: Callable[[], T]) -> T:
    """Runs `invoke`, retrying on UNAVAILABLE as `policy` says; every failure becomes PartituraError."""
    attempt = 0
    while True:
        try:
            return invoke()
        except grpc.RpcError as rpc_error:
            error = from_rpc_error(rpc_error)
        attempt += 1
        if error.code != grpc.StatusCode.UNAVAILABLE or attempt >= policy.attempts:
            raise error
        time.sleep(policy.delay(attempt - 1))


__all__ = ["RetryPolicy", "NO_RETRY", "call", "PartituraError", "from_rpc_error"]
