"""The load harness (bench/load.py): a GET whose reused connection the server closed just
then is sent once more and counted as retried; a POST never is."""

from __future__ import annotations

import asyncio

import httpx

from bench.load import run_load


def _failing_once(method: str, error: type[httpx.TransportError]):
    calls = {"count": 0}

    async def request(client: httpx.AsyncClient, number: int) -> httpx.Response:
        calls["count"] += 1
        sent = httpx.Request(method, "http://caseflow.test/")
        if calls["count"] == 1:
            raise error("connection closed", request=sent)
        return httpx.Response(200, request=sent)

    return request, calls


def test_a_get_on_a_closed_connection_is_sent_again() -> None:
    for error in (httpx.RemoteProtocolError, httpx.ReadError):
        request, calls = _failing_once("GET", error)
        result = asyncio.run(run_load("http://caseflow.test", request, concurrency=1, total=1))
        assert calls["count"] == 2
        assert result.retried == 1 and result.statuses[200] == 1 and not result.errors


def test_a_post_is_never_sent_twice() -> None:
    request, calls = _failing_once("POST", httpx.ReadError)
    result = asyncio.run(run_load("http://caseflow.test", request, concurrency=1, total=1))
    assert calls["count"] == 1
    assert result.retried == 0 and result.errors["ReadError"] == 1
