"""The server's warm-up: every page template compiled, the URL tables and the catalogues
read, before the first request, then what is loaded set aside from the garbage collector;
and gunicorn's configuration runs both."""

from __future__ import annotations

import gc
import os
import re
import runpy
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines
from django.urls import get_resolver
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty

from grades.tests.ports import free_port
from gradesys.warmup import settle, warm_up

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "gradesys" / "gunicorn.conf.py"


def test_warm_up_compiles_every_page_template_and_reads_the_url_tables_and_catalogues():
    env = engines["jinja2"].env
    env.cache.clear()
    done = warm_up()
    names = env.list_templates()
    assert done["templates"] == len(names) > 40
    # Each template is in the environment's cache, keyed by (loader, name): the next get is a lookup.
    cached = {key[1] for key in env.cache.keys()}
    assert set(names) <= cached
    assert "home.html" in cached and "grades/progress.html" in cached
    resolver = get_resolver()
    for code in ("en", "ru"):
        assert code in resolver._reverse_dict
        assert translation.trans_real._translations.get(code) is not None


class _Loaded:
    """Stands for something a server loads at start: a container the collector tracks."""


def _must_not_be_evaluated():
    raise AssertionError("a lazy object was evaluated")


def test_settle_sets_what_is_loaded_aside_from_the_collector_and_collects_garbage_first():
    # type(), not isinstance(): the collector also holds lazy objects (of other tests, and
    # this one), and isinstance() asks them their __class__, which evaluates them.
    unevaluated = SimpleLazyObject(_must_not_be_evaluated)
    loaded = _Loaded()
    garbage = _Loaded()
    garbage.cycle = garbage  # unreachable once the name is gone, freed only by a collection
    del garbage
    try:
        set_aside = settle()
        # Set-aside objects are still freed when their last reference goes, so the count read
        # afterwards may already be lower than the one settle() returned, never higher.
        assert set_aside > 1000
        assert 0 < gc.get_freeze_count() <= set_aside
        # Frozen objects are no longer among those a collection walks.
        assert not any(obj is loaded for obj in gc.get_objects())
        assert not any(type(obj) is _Loaded and obj is not loaded for obj in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(obj is loaded for obj in gc.get_objects())
    # The cycle was collected before the freeze, not set aside with the rest.
    assert [obj for obj in gc.get_objects() if type(obj) is _Loaded] == [loaded]
    assert unevaluated._wrapped is empty


def _hooks() -> dict:
    return runpy.run_path(str(CONFIG))


class _Log:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        # As logging does: one mapping is the arguments by name.
        if len(args) == 1 and isinstance(args[0], dict):
            args = args[0]
        self.lines.append(message % args if args else message)


@pytest.mark.parametrize("preload", [True, False])
def test_gunicorn_warms_the_master_with_preload_and_each_worker_without(preload, monkeypatch):
    calls = []
    monkeypatch.setattr("gradesys.warmup.warm_up", lambda: calls.append("warm") or {"templates": 3, "seconds": 0.1})
    monkeypatch.setattr("gradesys.warmup.settle", lambda: calls.append("settle") or 1234)
    hooks = _hooks()
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=preload), log=_Log())
    worker = SimpleNamespace(cfg=SimpleNamespace(preload_app=preload), log=_Log())
    hooks["when_ready"](server)
    assert calls == (["warm", "settle"] if preload else [])
    hooks["post_worker_init"](worker)
    # Once either way, warmed and then settled: in the master with preload, in the worker without.
    assert calls == ["warm", "settle"]
    logged = server.log.lines + worker.log.lines
    assert len(logged) == 2 and "3 templates" in logged[0] and "1234 loaded objects" in logged[1]


def test_a_real_gunicorn_master_warms_up_before_its_workers_boot(tmp_path):
    """gunicorn itself calls the hook: the master's log says so before any worker boots."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "DJANGO_SETTINGS_MODULE": "gradesys.settings",
    }
    env.pop("REPORTS_DATABASE_URL", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", str(CONFIG), "gradesys.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    status = response.status
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            log = server.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            server.kill()
            log = server.communicate()[1]
    warmed = next(i for i, line in enumerate(log.splitlines()) if "Warmed up before forking the workers" in line)
    settled = next(i for i, line in enumerate(log.splitlines()) if "loaded objects from the garbage collector" in line)
    booted = next(i for i, line in enumerate(log.splitlines()) if "Booting worker" in line)
    assert warmed < settled < booted, log
    # The whole project as loaded: tens of thousands of objects, not a handful.
    set_aside = int(re.search(r"Set aside (\d+) loaded objects", log).group(1))
    assert set_aside > 50_000, log
    assert "Warmed up: " not in log  # preloaded: the worker did not warm up again
