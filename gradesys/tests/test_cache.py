"""The cache: Django's own backends, chosen by CACHE_URL."""

import uuid

from django.core.cache.backends.redis import RedisCache

from .test_settings import run_settings


def test_a_redis_cache_url_selects_django_s_redis_backend():
    result = run_settings(
        {"DEBUG": "1", "CACHE_URL": "redis://127.0.0.1:6379/3"},
        "import gradesys.settings as s; print(s.CACHES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"
    result = run_settings(
        {"DEBUG": "1"}, "import gradesys.settings as s; print(s.CACHES['default']['BACKEND'])"
    )
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_the_redis_backend_works_against_redis():
    """Needs the Redis server on 127.0.0.1:6379 (`make test` starts one when none answers)."""
    cache = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"gradesys-test-{uuid.uuid4().hex}"})
    try:
        cache.set("key", {"value": "<p>ok</p>"}, 30)
        assert cache.get("key") == {"value": "<p>ok</p>"}
        assert cache.get("missing", "default") == "default"
        cache.delete("key")
        assert cache.get("key") is None
    finally:
        cache.delete_many(["key", "missing"])
        cache.close()
