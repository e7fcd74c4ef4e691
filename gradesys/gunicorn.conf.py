"""gunicorn settings for `make serve` and production, all from the environment.

    gunicorn -c gradesys/gunicorn.conf.py gradesys.wsgi:application
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request (a CSV download too) has a process to itself.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Long CSV downloads keep writing, so a generous timeout only stops workers that hang.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so that memory can never creep up over weeks.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load the project once in the master and fork workers from it: a worker that replaces a
# recycled one starts at once instead of importing Django again (about a second of CPU,
# every few seconds per worker on a busy site). Nothing connects to the database or the
# cache at import, so no connection is shared across the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# The reverse proxy's address(es) whose X-Forwarded-* headers are trusted.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def _prepare(log, warmed: str) -> None:
    """Warm the process up, then set what it loaded aside from the garbage collector."""
    from gradesys.warmup import settle, warm_up

    log.info(warmed + ": %(templates)s templates in %(seconds)s s", warm_up())
    log.info("Set aside %s loaded objects from the garbage collector", settle())


def when_ready(server):
    """In the master, before the first workers fork: with preload_app the project is loaded by
    now, so it is warmed here once and every worker, recycled ones too, starts warm."""
    if server.cfg.preload_app:
        _prepare(server.log, "Warmed up before forking the workers")


def post_worker_init(worker):
    """Without preload_app each worker loads the project itself: it warms up before serving."""
    if not worker.cfg.preload_app:
        _prepare(worker.log, "Warmed up")
