"""Rate limits that hold across gunicorn workers: counted in Redis, as
``RATELIMIT_STORAGE_URI=redis://…`` makes them in production."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis

from caseflow import create_app
from tests.conftest import config_for_tests, dispose_engines, login

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


def test_the_login_limit_is_counted_in_redis(
    app, database_url: str, tmp_path: Path, redis_url: str
) -> None:
    """The counters live in Redis, not in the process: every gunicorn worker (and a
    restarted one) sees the same count, so four attempts from one address meet the limit
    of three whichever workers they reach."""
    # A key prefix of its own, so earlier runs' counters in the same Redis do not count.
    prefix = f"caseflow-test-{uuid.uuid4().hex}"
    worker = create_app(
        {
            **config_for_tests(database_url, tmp_path / "worker"),
            "RATELIMIT_STORAGE_URI": redis_url,
            "RATELIMIT_KEY_PREFIX": prefix,
            "LOGIN_RATE_LIMIT_IP": "3 per 10 minutes",
        }
    )
    store = redis.Redis.from_url(redis_url)
    try:
        client = worker.test_client()
        statuses = [
            login(client, f"niemand{number}@example.org", "x" * 12).status_code
            for number in range(4)
        ]
        assert statuses == [422, 422, 422, 429]
        keys = store.keys(f"*{prefix}*login-ip*")
        assert len(keys) == 1
        assert int(store.get(keys[0])) == 4  # every attempt counts, the refused one too
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
        store.close()
        dispose_engines(worker)
