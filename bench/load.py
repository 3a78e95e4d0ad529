"""A bounded load generator: N virtual users on one asyncio loop, each with its own HTTP client
(its own cookies, so a user can log in once), sending requests until a number of requests or
a time limit is reached. Used by the benchmark (``bench/run.py``) and the load and fault tests
(``tests/load``).

    result = asyncio.run(run_load(base, request, concurrency=8, total=400, setup=log_in))
    print(result.p50, result.p95, result.rps, result.statuses)

``request(client, n)`` sends the n-th request (0-based, numbered across all users) and
returns the response; ``setup(client)`` runs once per user before the clock starts. A
request that raises (connection refused, timeout) counts as an error with its exception's
name, not as a status code. One exception, as browsers make it: a GET on a kept-alive
connection that the server closed just then (the server's keep-alive timeout racing the
next request: "server disconnected without sending a response", or the connection reset
while the answer was awaited, ``httpx.ReadError``) is sent once more on a new connection, and
counted in ``retried``. Browsers retry an idempotent request on a reused connection the same
way; a POST is never sent twice.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
Setup = Callable[[httpx.AsyncClient], Awaitable[None]]


@dataclass
class LoadResult:
    """What one load run saw: the latency of every answered request, in seconds."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    retried: int = 0  # GETs sent again after the server closed their kept-alive connection
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    def failures(self, ok: Callable[[int], bool] = lambda status: status < 400) -> int:
        """Requests that raised or answered with a status ``ok`` refuses."""
        bad = sum(count for status, count in self.statuses.items() if not ok(status))
        return bad + sum(self.errors.values())


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by the nearest-rank method (NaN for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


async def run_load(
    base_url: str,
    request: Request,
    *,
    concurrency: int,
    total: int | None = None,
    duration: float | None = None,
    setup: Setup | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """Send requests from ``concurrency`` users until ``total`` were sent or ``duration``
    seconds passed (at least one of the two must be given)."""
    if total is None and duration is None:
        raise ValueError("run_load needs total or duration")
    result = LoadResult()
    counter = iter(range(total if total is not None else 2**62))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)
        for _ in range(concurrency)
    ]
    try:
        if setup is not None:
            await asyncio.gather(*(setup(client) for client in clients))
        started = time.perf_counter()
        deadline = started + duration if duration is not None else math.inf

        async def user(client: httpx.AsyncClient) -> None:
            for n in counter:
                if time.perf_counter() >= deadline:
                    return
                sent = time.perf_counter()
                try:
                    try:
                        response = await request(client, n)
                    except (httpx.RemoteProtocolError, httpx.ReadError) as error:
                        if error.request.method not in ("GET", "HEAD"):
                            raise
                        result.retried += 1
                        response = await request(client, n)
                except (httpx.HTTPError, OSError) as error:
                    result.errors[type(error).__name__] += 1
                    continue
                result.latencies.append(time.perf_counter() - sent)
                result.statuses[response.status_code] += 1

        await asyncio.gather(*(user(client) for client in clients))
        result.elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return result
