"""fire for Pyncette: the bench's fire scenario run by Pyncette (github.com/tibordp/pyncette) on Redis.

N instances of one partitioned dynamic task, each due every second (interval 1 s), first slots
spread evenly over one second, as bench/scenarios/fire.ts loads ours. P worker processes (the way
Pyncette scales out: each polls its share of the partitions) run a task body that only counts.
Inside the measurement window it counts executions (the body ran) and commits (Pyncette's
commit_task returned: the equivalent of our ack), and records the lag of each execution: the
time the body started minus its scheduled slot (Context.scheduled_at), the same definition as
ours (delivery time minus slot). Prints one JSON object on stdout; progress goes to stderr.

Pyncette itself is not vendored: run with PYTHONPATH pointing at its source (bench/peers/
pyncette-source.ts finds it). Its dependencies come from Debian's python3-* packages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import math
import multiprocessing
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import redis
import pyncette
from pyncette import Context, ExecutionMode, Pyncette
from pyncette.redis import redis_repository

try:  # Pyncette's own benchmark uses uvloop when it is there; so do we (python3-uvloop).
    import uvloop
except ImportError:
    uvloop = None  # type: ignore[assignment]

try:  # redis-py picks hiredis up by itself when installed (python3-hiredis).
    import hiredis  # noqa: F401

    HIREDIS = True
except ImportError:
    HIREDIS = False

EVERY_SECOND = datetime.timedelta(seconds=1)


def log(message: str) -> None:
    print(f"pyncette: {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--namespace", required=True, help="redis_namespace: keys are pyncette:NS:*")
    parser.add_argument("--count", type=int, required=True, help="instances, each due every second")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=16, help="partition_count of the task")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window opens")
    parser.add_argument("--duration", type=float, default=20.0, help="measurement window, seconds")
    parser.add_argument("--poll-interval", type=float, default=0.1, help="Pyncette poll_interval, s")
    parser.add_argument("--batch-size", type=int, default=100, help="Redis batch_size (default 100)")
    parser.add_argument("--concurrency-limit", type=int, default=100, help="executor limit (default 100)")
    parser.add_argument("--register-in-flight", type=int, default=64)
    args = parser.parse_args()
    for name in ("count", "processes", "partitions", "batch_size", "concurrency_limit", "register_in_flight"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.processes > args.partitions:
        parser.error("--processes must not exceed --partitions (a process polls whole partitions)")
    return args


@dataclass
class Window:
    """The measurement window, epoch milliseconds (the same instants in every process)."""

    start_ms: float
    end_ms: float

    def holds(self, at_ms: float) -> bool:
        return self.start_ms <= at_ms < self.end_ms


@dataclass
class Counts:
    """What one worker process saw inside the window."""

    window: Window
    executed: int = 0
    committed: int = 0
    executed_total: int = 0
    lags_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def on_execute(self, scheduled_at: datetime.datetime) -> None:
        now_ms = time.time() * 1000
        self.executed_total += 1
        if self.window.holds(now_ms):
            self.executed += 1
            self.lags_ms.append(now_ms - scheduled_at.timestamp() * 1000)

    def on_commit(self) -> None:
        if self.window.holds(time.time() * 1000):
            self.committed += 1


def counting_repository(counts: Counts | None) -> Callable[..., Any]:
    """Pyncette's own Redis repository, with commit_task counted once it has returned."""

    @contextlib.asynccontextmanager
    async def factory(**kwargs: Any) -> AsyncIterator[Any]:
        async with redis_repository(**kwargs) as repository:
            if counts is not None:
                commit = repository.commit_task

                async def counted_commit(utc_now: datetime.datetime, task: Any, lease: Any) -> None:
                    await commit(utc_now, task, lease)
                    counts.on_commit()

                repository.commit_task = counted_commit
            yield repository

    return factory


def build_app(args: argparse.Namespace, counts: Counts | None) -> tuple[Pyncette, Any]:
    """The app and its partitioned dynamic task; the same definition loads and runs."""
    app = Pyncette(
        repository_factory=counting_repository(counts),
        redis_url=args.redis_url,
        redis_namespace=args.namespace,
        batch_size=args.batch_size,
        concurrency_limit=args.concurrency_limit,
        poll_interval=datetime.timedelta(seconds=args.poll_interval),
    )

    @app.partitioned_task(partition_count=args.partitions, execution_mode=ExecutionMode.AT_LEAST_ONCE)
    async def tick(context: Context) -> None:
        if counts is not None:
            counts.on_execute(context.scheduled_at)

    return app, tick


def run_loop(main: Any) -> Any:
    if uvloop is not None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    return asyncio.run(main)


async def populate(args: argparse.Namespace, start_ms: int) -> None:
    """
    Registers every instance through Pyncette's repository. register_task sets the first run to
    utc_now + interval, so passing the slot minus one interval as utc_now places instance i's
    first slot at start + i/count s, as ours are placed.
    """
    _, task = build_app(args, None)
    next_index = 0

    async with counting_repository(None)(
        redis_url=args.redis_url, redis_namespace=args.namespace, batch_size=args.batch_size
    ) as repository:

        async def lane() -> None:
            nonlocal next_index
            while next_index < args.count:
                i = next_index
                next_index += 1
                slot_ms = start_ms + (i * 1000) // args.count
                utc_now = datetime.datetime.fromtimestamp(slot_ms / 1000, tz=datetime.timezone.utc) - EVERY_SECOND
                await repository.register_task(utc_now, task.instantiate(f"i{i}", interval=EVERY_SECOND))

        await asyncio.gather(*(lane() for _ in range(args.register_in_flight)))


def worker_process(args: argparse.Namespace, partitions: list[int], window: Window, conn: Connection) -> None:
    """One Pyncette app polling `partitions` until just after the window; sends its Counts."""
    counts = Counts(window)

    async def main() -> None:
        app, task = build_app(args, counts)
        task.enabled_partitions = partitions
        loop = asyncio.get_running_loop()
        cpu: dict[str, float] = {}

        def sample(key: str) -> None:
            cpu[key] = time.process_time()

        async with app.create() as app_context:
            now_ms = time.time() * 1000
            loop.call_later(max(0.0, (window.start_ms - now_ms) / 1000), sample, "start")
            loop.call_later(max(0.0, (window.end_ms - now_ms) / 1000), sample, "end")
            # Commits of the window's last executions may still be on their way (as ours: 500 ms).
            loop.call_later(max(0.0, (window.end_ms + 500 - now_ms) / 1000), app_context.shutdown)
            await app_context.run()
        counts.cpu_s = cpu.get("end", 0.0) - cpu.get("start", 0.0)

    run_loop(main())
    conn.send(counts)
    conn.close()


def redis_cpu_seconds(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def lag_summary(lags_ms: list[float]) -> dict[str, float] | None:
    """p50, p99 and max by nearest rank, rounded to 0.1 ms: bench/lib/stats.ts's definitions."""
    if not lags_ms:
        return None
    ordered = sorted(lags_ms)

    def at(q: float) -> float:
        rank = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return round(ordered[rank], 1)

    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 1), "samples": len(ordered)}


def sleep_until(at_ms: float) -> None:
    time.sleep(max(0.0, (at_ms - time.time() * 1000) / 1000))


def main() -> None:
    args = parse_args()
    # Slots start once loading is surely over (Python registers a few thousand a second here).
    start_ms = math.ceil((time.time() * 1000 + 2_000 + args.count / 2) / 1000) * 1000
    loaded_at = time.perf_counter()
    run_loop(populate(args, start_ms))
    load_s = time.perf_counter() - loaded_at
    log(f"registered {args.count} instances in {load_s:.1f} s")
    if time.time() * 1000 > start_ms:
        log("loading ran past the first slots; the warm-up absorbs the backlog")

    window_start = max(time.time() * 1000, start_ms) + args.warmup * 1000
    window = Window(window_start, window_start + args.duration * 1000)
    context = multiprocessing.get_context("fork")
    workers = []
    for p in range(args.processes):
        receiver, sender = context.Pipe(duplex=False)
        partitions = list(range(p, args.partitions, args.processes))
        process = context.Process(target=worker_process, args=(args, partitions, window, sender), daemon=True)
        process.start()
        sender.close()
        workers.append((process, receiver))

    client = redis.Redis.from_url(args.redis_url)
    sleep_until(window.start_ms)
    redis0 = redis_cpu_seconds(client)
    t0 = time.perf_counter()
    sleep_until(window.end_ms)
    redis1 = redis_cpu_seconds(client)
    seconds = time.perf_counter() - t0
    client.close()

    reports: list[Counts] = []
    for process, receiver in workers:
        # A process reports once its last tick and commits are done; a stuck one is a failure.
        if not receiver.poll(60):
            process.kill()
            raise SystemExit(f"pyncette: worker process {process.pid} did not report within 60 s")
        reports.append(receiver.recv())
        process.join(10)

    lags = [lag for r in reports for lag in r.lags_ms]
    committed = sum(r.committed for r in reports) / args.duration
    print(
        json.dumps(
            {
                "committed_per_s": committed,
                "executed_per_s": sum(r.executed for r in reports) / args.duration,
                "executed_total": sum(r.executed_total for r in reports),
                "lag": lag_summary(lags),
                "worker_cpu_percent": round(sum(r.cpu_s for r in reports) / seconds * 100, 1),
                "redis_cpu_percent": round((redis1 - redis0) / seconds * 100, 1),
                "load_s": round(load_s, 1),
                "offered_per_s": args.count,
                "processes": args.processes,
                "partitions": args.partitions,
                "poll_interval_s": args.poll_interval,
                "batch_size": args.batch_size,
                "concurrency_limit": args.concurrency_limit,
                "window_s": args.duration,
                "uvloop": uvloop is not None,
                "hiredis": HIREDIS,
                "pyncette_version": pyncette.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
