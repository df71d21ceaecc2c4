"""Which Execute streams a Worker holds: one per replica address of the partition map."""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

from partitura.v1 import scheduler_service_pb2 as sc

Routes = Dict[str, Tuple[int, ...]]
"""Replica address -> the partitions to name in its Execute request (empty: the replica's own)."""


def routes_of(partition_map: sc.GetPartitionMapResponse, wanted: Optional[Sequence[int]]) -> Routes:
    """The streams for a partition map, limited to `wanted` partitions when given. A replica
    left with no partition gets no stream; a partition listed under two replicas (a map read
    mid-move) goes to both, which is safe because claims are atomic in every store."""
    allowed = None if wanted is None else set(wanted)
    routes: Routes = {}
    for replica in partition_map.replicas:
        partitions = sorted({p for p in replica.partitions if allowed is None or p in allowed})
        if partitions:
            routes[replica.address] = tuple(sorted({*routes.get(replica.address, ()), *partitions}))
    return routes


def credit_per_stream(max_in_flight: int, streams: int) -> int:
    """Each stream's max_in_flight: the worker's bound shared out, so that all streams together
    never hold more executions than the worker has threads (at least one each)."""
    return max(1, max_in_flight // max(1, streams))
