"""The Redis cache backend: Django's, reusing one redis-py client (gradesys/cache.py)."""

import uuid

from gradesys.cache import RedisCache

from .test_settings import run_settings


def test_a_redis_cache_url_selects_the_reusing_backend():
    result = run_settings(
        {"DEBUG": "1", "CACHE_URL": "redis://127.0.0.1:6379/3"},
        "import gradesys.settings as s; print(s.CACHES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "gradesys.cache.RedisCache"
    result = run_settings(
        {"DEBUG": "1"}, "import gradesys.settings as s; print(s.CACHES['default']['BACKEND'])"
    )
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_the_backend_works_against_redis_with_one_client_for_every_operation():
    """Needs the Redis server on 127.0.0.1:6379 (as the load bench and production settings do)."""
    cache = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"gradesys-test-{uuid.uuid4().hex}"})
    try:
        cache.set("page", {"html": "<p>ok</p>"}, 30)
        assert cache.get("page") == {"html": "<p>ok</p>"}
        assert cache.get("missing", "default") == "default"
        client = cache._cache.get_client()
        assert cache._cache.get_client() is client
        assert cache._cache.get_client(write=True) is client  # one server: reads and writes share it
        cache.delete("page")
        assert cache.get("page") is None
    finally:
        cache.delete_many(["page", "missing"])
        cache.close()
