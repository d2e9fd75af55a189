"""A Redis cache that degrades instead of failing: the site keeps serving when Redis is down.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from every call when Redis is away, and
the cache sits under everything: Wagtail's site-root lookup, allauth's rate limits, figures.
``DegradingRedisCache`` answers as a cache that loses everything would instead (a read misses,
a write — ``add`` too — says it was stored and is dropped, ``incr`` finds no key) and logs the
outage once per ``DOWN_FOR`` seconds. ``add`` answering "stored" matters: allauth takes a short
lock with it around its rate limits, and "not stored" would refuse every login. After an error
it does not try Redis again for ``DOWN_FOR`` seconds, so a
Redis that hangs (rather than refusing connections) costs one timeout per process per interval,
not one per cache call.

What must **not** degrade (the SMS limits, which fail closed) uses the ``limits`` cache alias, a
plain ``RedisCache`` on the same server that raises.

Django makes a new ``redis.Redis`` client for every call (redis-py builds its table of ~170 reply
callbacks each time: ~50 µs, a few of them on every admin page); ``DegradingRedisCache`` keeps
one per connection pool, as redis-py's clients are safe to share between threads.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: Seconds to leave Redis alone after an error.
DOWN_FOR = 5.0


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client, with one ``redis.Redis`` per connection pool instead of one per call."""

    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()

    # -- the breaker ------------------------------------------------------------------------

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        with self._lock:
            first = not self.is_down
            self._down_until = time.monotonic() + DOWN_FOR
        if first:
            logger.error(
                "cache unavailable (%s: %r); serving without it for %ss", operation, exc, DOWN_FOR
            )

    def _call(self, operation: str, fallback, function, *args, **kwargs):
        if self.is_down:
            return fallback
        try:
            return function(*args, **kwargs)
        except RedisError as exc:
            self._failed(operation, exc)
            return fallback

    # -- the cache API ------------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # "stored" (then lost): a caller taking a lock with add goes on, as without a cache
        return self._call("add", True, super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        if self.is_down:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._failed("incr", exc)
            # as Django's caches answer for a missing key: callers handle ValueError
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc

    def clear(self):
        return self._call("clear", False, super().clear)
