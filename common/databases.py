"""The DATABASES entries the product builds from URLs: its own database, a reports replica, a legacy source."""

from __future__ import annotations

from pathlib import Path

import environ


def database_config(url: str, *, conn_max_age: int | None = None) -> dict:
    """One DATABASES entry from a URL, with the options this product relies on.

    `conn_max_age`: how long a connection is kept between requests (the settings pass
    CONN_MAX_AGE; left out, the loaded settings' value is used).
    """
    if conn_max_age is None:
        from django.conf import settings

        conn_max_age = settings.CONN_MAX_AGE
    config = environ.Env.db_url_config(url)
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    config["ATOMIC_REQUESTS"] = True
    config["CONN_HEALTH_CHECKS"] = True
    if engine == "django.db.backends.sqlite3":
        # WAL lets readers work beside one writer; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue on the busy timeout instead of failing
        # with "database is locked" half-way through a transaction.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        )
        config["CONN_MAX_AGE"] = 0 if config.get("NAME") == ":memory:" else conn_max_age
    elif engine in ("django.db.backends.mysql",):
        options.setdefault("charset", "utf8mb4")
        options.setdefault("isolation_level", "read committed")
        # Strict mode: out-of-range or truncated values are errors, not warnings.
        options.setdefault(
            "init_command",
            "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
        )
        config["CONN_MAX_AGE"] = conn_max_age
        config.setdefault("TEST", {}).update(
            {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        )
    else:
        config["CONN_MAX_AGE"] = conn_max_age
    return config


def legacy_database_config(url: str, *, conn_max_age: int | None = None) -> dict:
    """The DATABASES entry for a legacy source: one statement per call, opened to read only.

    imports.legacy_source also makes the session and each import's transaction
    read-only; this is what can only be set when connecting.
    """
    config = database_config(url, conn_max_age=conn_max_age)
    config["ATOMIC_REQUESTS"] = False
    config["TEST"] = {**config.get("TEST", {}), "MIGRATE": False}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Someone else's file: switching it to WAL would stay in the file, and an
        # IMMEDIATE transaction would take its write lock. Opened with mode=ro, so
        # SQLite itself refuses every write (and a wrong path is not created).
        config["OPTIONS"] = {"timeout": 20}
        config["NAME"] = read_only_sqlite_uri(str(config["NAME"]))
    elif config["ENGINE"] == "django.db.backends.mysql":
        from MySQLdb.constants import CLIENT

        options = config["OPTIONS"]
        # One statement per call. mysqlclient sets CLIENT.MULTI_STATEMENTS unless
        # multi_statements is False; client_flag is Django's own (FOUND_ROWS) and nothing
        # from the URL. mysqlclient always adds MULTI_RESULTS, which alone lets no
        # second statement through.
        options["multi_statements"] = False
        options["client_flag"] = CLIENT.FOUND_ROWS
        # Django would set the isolation level together with SQL_AUTO_IS_NULL in one
        # two-statement call, which this connection refuses; each import sets its own.
        options["isolation_level"] = None
    return config


def read_only_sqlite_uri(name: str) -> str:
    """A SQLite file name as a URI that opens it read-only (Django opens SQLite with uri=True)."""
    if not name or name == ":memory:":
        return name
    if name.startswith("file:"):
        path, _, query = name.partition("?")
        kept = [part for part in query.split("&") if part and not part.startswith("mode=")]
        return f"{path}?{'&'.join([*kept, 'mode=ro'])}"
    return f"{Path(name).resolve().as_uri()}?mode=ro"
