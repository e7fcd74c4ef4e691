"""Django's Redis cache backend, with one redis-py client per connection pool.

Django's backend makes a new `redis.Redis` for every cache operation. Its
constructor builds the table of response callbacks (about 170 entries), which
costs about a third of a millisecond: more than the round trip to a local Redis,
and paid twice by every kept page that is served (the session, then the page).
A `redis.Redis` over a connection pool is safe to share between threads, so each
pool gets one, made the first time it is needed.

CACHE_URL=redis://... selects this backend (gradesys/settings.py).
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class ReusingRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
