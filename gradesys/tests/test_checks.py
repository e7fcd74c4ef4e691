"""The database system checks: utf8mb4, strict mode, a server that enforces CHECK constraints."""

import pytest
from django.core.management import call_command

from grades.checks import check_mysql_connections, mysql_connection_warnings

GOOD = dict(alias="default", charset="utf8mb4", sql_mode="STRICT_TRANS_TABLES,NO_ZERO_DATE",
            version=(10, 11, 19), is_mariadb=True)


def ids(warnings):
    return sorted(w.id for w in warnings)


def test_a_good_connection_has_no_warnings():
    assert mysql_connection_warnings(**GOOD) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"charset": "utf8mb3"}, ["gradesys.W001"]),
        ({"charset": "latin1"}, ["gradesys.W001"]),
        ({"sql_mode": "NO_ENGINE_SUBSTITUTION"}, ["gradesys.W002"]),
        ({"sql_mode": ""}, ["gradesys.W002"]),
        ({"sql_mode": "TRADITIONAL"}, []),
        ({"sql_mode": "strict_all_tables"}, []),
        ({"version": (10, 4, 30)}, ["gradesys.W003"]),
        ({"version": (10, 5, 0)}, []),
        ({"version": (8, 0, 15), "is_mariadb": False}, ["gradesys.W003"]),
        ({"version": (8, 0, 16), "is_mariadb": False}, []),
        ({"version": (5, 7, 44), "is_mariadb": False, "charset": "utf8", "sql_mode": ""},
         ["gradesys.W001", "gradesys.W002", "gradesys.W003"]),
    ],
)
def test_each_problem_gives_its_warning(change, expected):
    assert ids(mysql_connection_warnings(**{**GOOD, **change})) == expected


def test_the_version_warning_names_the_minimum():
    (warning,) = mysql_connection_warnings(**{**GOOD, "version": (10, 3, 2)})
    assert "10.5.0" in warning.msg and "CHECK constraints are not enforced" in warning.msg


@pytest.mark.django_db
def test_check_skips_other_vendors_and_passes_on_the_configured_database():
    # On SQLite nothing is checked; on MariaDB our settings must satisfy the check.
    assert check_mysql_connections(databases=["default"]) == []


@pytest.mark.django_db
@pytest.mark.mysql_only
def test_check_sees_a_non_strict_session():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'")
    try:
        assert ids(check_mysql_connections(databases=["default"])) == ["gradesys.W002"]
    finally:
        connection.close()


@pytest.mark.django_db
def test_manage_py_check_with_database_passes():
    call_command("check", databases=["default"], fail_level="WARNING")


@pytest.mark.parametrize(
    "engine, backend, warned",
    [
        ("django.contrib.sessions.backends.cached_db", "django.core.cache.backends.locmem.LocMemCache", True),
        ("django.contrib.sessions.backends.cache", "django.core.cache.backends.dummy.DummyCache", True),
        ("django.contrib.sessions.backends.cached_db", "django.core.cache.backends.redis.RedisCache", False),
        ("django.contrib.sessions.backends.db", "django.core.cache.backends.locmem.LocMemCache", False),
    ],
)
def test_cache_backed_sessions_need_a_shared_cache(settings, engine, backend, warned):
    from grades.checks import check_session_cache

    settings.SESSION_ENGINE = engine
    settings.CACHES = {"default": {"BACKEND": backend}}
    assert [w.id for w in check_session_cache()] == (["gradesys.W004"] if warned else [])


def test_a_redis_cache_url_selects_djangos_redis_backend():
    import environ

    config = environ.Env.cache_url_config("redis://127.0.0.1:6379/1")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
