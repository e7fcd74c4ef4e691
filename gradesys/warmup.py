"""
What a server process prepares before its first request, so that no visitor pays for it.

A process compiles each page template, builds the URL table and reads each language's
translations the first time a request needs them: a few hundred milliseconds on the first
visit to each kind of page. gunicorn recycles its workers every couple of thousand requests
(gunicorn.conf.py), so on a busy site some visitor was always the first. The gunicorn
master, which loads the project once and forks the workers from it, calls warm_up() before
it forks them: each worker starts with all of it in memory it shares with the master.

Nothing here touches the database or the cache, so no connection is made before the fork.

The process's garbage collector is set for a web server's work too (tune_garbage_collector),
by the WSGI and ASGI modules that every server loads.
"""

from __future__ import annotations

import gc
import time

from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.utils import translation


def warm_up() -> dict[str, float | int]:
    """Compile every page template, build the URL table and load each language's catalogue.

    Returns what it did, for the server's log: templates compiled and seconds spent.
    """
    started = time.perf_counter()
    compiled = 0
    for engine in engines.all():
        environment = getattr(engine, "env", None)  # the Jinja2 engine of the pages
        if environment is None:
            continue
        for name in environment.list_templates():
            environment.get_template(name)
            compiled += 1
    # Reversing reads every pattern of every app's urls.py into the resolver's tables, which
    # are kept per language, as the catalogues are.
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reverse("home")
            translation.gettext("Inbox")
    return {"templates": compiled, "seconds": round(time.perf_counter() - started, 3)}


# How many container objects (net of those freed) may be allocated before the collector looks
# for reference cycles among the young ones. Python's default, 700, suits small programs; one
# page here allocates tens of thousands (rows, query trees, template output), so the default
# ran two or three collections per request and, every few hundred requests, one of every
# object the process holds (Django's included). The collector still runs, a tenth as often.
GC_YOUNG_THRESHOLD = 10_000


def tune_garbage_collector() -> tuple[int, int, int]:
    """Set the first generation's threshold to GC_YOUNG_THRESHOLD (the others stay Python's);
    returns the thresholds now in force. Thresholds are kept across fork(): a gunicorn master
    that loads the project passes them to every worker it forks."""
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    return gc.get_threshold()
