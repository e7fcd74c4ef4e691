"""
System checks for the database connection, the session cache, the site's address
for mail links, and environment variables the product no longer reads.

The database checks carry the `database` tag, so they run during `migrate` and with
`manage.py check --database default`, not on every command (a check that needs
a live database would otherwise stop `manage.py help` when the server is down).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from django.core.checks import Tags, Warning, register
from django.db import connections

# Below these versions CHECK constraints are parsed but not enforced, and the
# product's invariants live in CHECK constraints.
MIN_MYSQL = (8, 0, 16)
MIN_MARIADB = (10, 5, 0)


def mysql_connection_warnings(*, alias: str, charset: str, sql_mode: str, version: tuple, is_mariadb: bool) -> list:
    """The warnings for one MySQL/MariaDB connection, from values read off it."""
    warnings = []
    if charset != "utf8mb4":
        warnings.append(
            Warning(
                f"Database '{alias}' uses the character set {charset!r}, not utf8mb4: names with "
                "emoji or other 4-byte characters would be refused or mangled.",
                hint="Set OPTIONS['charset'] = 'utf8mb4' (the default in gradesys.settings) and create "
                "the database with CHARACTER SET utf8mb4.",
                id="gradesys.W001",
            )
        )
    modes = {mode.strip() for mode in sql_mode.upper().split(",")}
    if not modes & {"STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "TRADITIONAL"}:
        warnings.append(
            Warning(
                f"Database '{alias}' is not in strict SQL mode (sql_mode={sql_mode!r}): too long or "
                "invalid values would be silently truncated instead of refused.",
                hint="Add STRICT_TRANS_TABLES to sql_mode (gradesys.settings sets it in init_command).",
                id="gradesys.W002",
            )
        )
    minimum = MIN_MARIADB if is_mariadb else MIN_MYSQL
    if tuple(version[:3]) < minimum:
        name = "MariaDB" if is_mariadb else "MySQL"
        warnings.append(
            Warning(
                f"Database '{alias}' runs {name} {'.'.join(map(str, version[:3]))}; below "
                f"{'.'.join(map(str, minimum))} CHECK constraints are not enforced, so invalid "
                "rows could be stored.",
                hint=f"Upgrade to {name} {'.'.join(map(str, minimum))} or later.",
                id="gradesys.W003",
            )
        )
    return warnings


@register(Tags.database)
def check_mysql_connections(app_configs=None, databases=None, **kwargs):
    warnings = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "mysql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@character_set_connection, @@SESSION.sql_mode")
            charset, sql_mode = cursor.fetchone()
        warnings += mysql_connection_warnings(
            alias=alias,
            charset=charset,
            sql_mode=sql_mode,
            version=connection.mysql_version,
            is_mariadb=connection.mysql_is_mariadb,
        )
    return warnings


PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches)
def check_session_cache(app_configs=None, **kwargs):
    """Cache-backed sessions need a cache every worker shares, or sign-out does not stick."""
    from django.conf import settings

    engine = settings.SESSION_ENGINE
    backend = settings.CACHES.get(getattr(settings, "SESSION_CACHE_ALIAS", "default"), {}).get("BACKEND", "")
    if engine.endswith((".cache", ".cached_db")) and backend in PER_PROCESS_CACHES:
        return [
            Warning(
                f"SESSION_ENGINE is {engine}, but the cache is per process ({backend}).",
                hint="A session ended in one worker would live on in the others. Set CACHE_URL to a "
                "shared cache (redis://...) or use django.contrib.sessions.backends.db.",
                id="gradesys.W004",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Mail links need the site's address (SITE_URL): a mail has no request to take it from."""
    from django.conf import settings

    site_url = getattr(settings, "SITE_URL", "")
    if not site_url:
        return [
            Warning(
                "SITE_URL is not set: the links in mail carry a path without the site's address.",
                hint="Set SITE_URL to the address people open the site at, e.g. https://grades.example.com.",
                id="gradesys.W007",
            )
        ]
    if not site_url.startswith(("http://", "https://")) or site_url.count("/") > 2:
        return [
            Warning(
                f"SITE_URL is {site_url!r}: not a scheme and host.",
                hint="Write it as https://host[:port], without a path (e.g. https://grades.example.com).",
                id="gradesys.W007",
            )
        ]
    return []


def retired_setting_warnings(
    names: Iterable[str], *, now: str, check_id: str, environ: Mapping[str, str] | None = None
) -> list[Warning]:
    """A warning for each of `names` still set in the environment (or .env) though no longer read.

    An operator who set such a variable expects it to act; ignoring it silently would
    leave the product deciding otherwise. `now` says where the value lives instead.
    Apps register their own check with their own retired names.
    """
    environ = os.environ if environ is None else environ
    return [
        Warning(
            f"{name}={environ[name]!r} is set, but the product no longer reads it: {now}",
            hint=f"Make the change there (the admin keeps its history), then remove {name} from "
            "the environment and from .env.",
            id=check_id,
        )
        for name in names
        if name in environ
    ]
