"""core.cache.DegradingRedisCache: with Redis away the cache answers as an empty one would."""

from __future__ import annotations

import logging
import socket

import pytest

from core.cache import DegradingRedisCache


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_cache():
    return DegradingRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )


def test_reads_miss_and_writes_are_dropped(dead_cache, caplog):
    with caplog.at_level(logging.ERROR, logger="core.cache"):
        assert dead_cache.get("k") is None
        assert dead_cache.get("k", "fallback") == "fallback"
        assert dead_cache.get_many(["a", "b"]) == {}
        dead_cache.set("k", 1)
        assert dead_cache.add("k", 1) is True  # "stored", then lost: a lock taken with it works
        assert dead_cache.has_key("k") is False
        assert dead_cache.delete("k") is False
        assert dead_cache.get_or_set("k", lambda: 42) == 42
        with pytest.raises(ValueError):
            dead_cache.incr("k")
    # logged once per outage, not once per call
    assert len([r for r in caplog.records if "cache unavailable" in r.message]) == 1


def test_after_an_error_redis_is_left_alone_for_a_while(dead_cache, monkeypatch):
    dead_cache.get("k")
    assert dead_cache.is_down
    calls = []
    monkeypatch.setattr(
        "django.core.cache.backends.redis.RedisCache.get", lambda *a, **k: calls.append(a)
    )
    dead_cache.get("k")
    assert calls == []  # the breaker answered without trying Redis


def test_a_working_redis_is_used(settings):
    """Against the real Redis when the suite runs with one (CI's services run)."""
    location = (
        settings.CACHES["default"]["LOCATION"]
        if "redis" in str(settings.CACHES["default"].get("BACKEND", "")).lower()
        else None
    )
    if not location:
        pytest.skip("needs REDIS_URL")
    cache = DegradingRedisCache(location, {"KEY_PREFIX": "test-degrading"})
    cache.set("k", 1)
    assert cache.get("k") == 1
    assert cache.incr("k") == 2
    cache.delete("k")


def test_one_redis_client_serves_every_call(dead_cache):
    """Not a new ``redis.Redis`` per call: one per connection pool."""
    client = dead_cache._cache.get_client("a")
    assert dead_cache._cache.get_client("b") is client
    assert dead_cache._cache.get_client("c", write=True) is client  # one server: one pool
