"""Partitura's Python SDK: a Client to define tasks and schedule instances, and a Worker that
runs their executions. The generated messages and stubs are in `partitura.v1`.

    from partitura import Client, Worker, cron, every, at, instance
"""

from .args import from_struct, to_struct
from .client import DEFAULT_TIMEOUT, Client
from .connection import Connection
from .errors import REFRESH_MAP_TRAILER, PartituraError
from .execution import Execution, Handler, RetryLater
from .manual_runs import BackfillResult, TriggerResult, manual_run
from .messages import instance, retry_policy, task
from .retry import RetryPolicy
from .schedules import at, cron, every
from .worker import Worker, WorkerStats

__version__ = "0.1.0"

__all__ = [
    "BackfillResult",
    "Client",
    "Connection",
    "DEFAULT_TIMEOUT",
    "Execution",
    "Handler",
    "PartituraError",
    "REFRESH_MAP_TRAILER",
    "RetryLater",
    "RetryPolicy",
    "TriggerResult",
    "Worker",
    "WorkerStats",
    "at",
    "cron",
    "every",
    "from_struct",
    "instance",
    "manual_run",
    "retry_policy",
    "task",
    "to_struct",
]
