"""
What a server process prepares before its first request, so that no visitor pays for it.

A process compiles each page template, builds the URL table and reads each language's
translations the first time a request needs them: a few hundred milliseconds on the first
visit to each kind of page. gunicorn recycles its workers every couple of thousand requests
(gunicorn.conf.py), so on a busy site some visitor was always the first. The gunicorn
master, which loads the project once and forks the workers from it, calls warm_up() before
it forks them: each worker starts with all of it in memory it shares with the master.

Nothing here touches the database or the cache, so no connection is made before the fork.

Then the objects loaded so far (modules, templates, URL tables: about 140,000) are set aside
from Python's garbage collector (`settle`). A full collection walks every tracked object, and
in a worker it took ~65 ms each time, every few hundred requests: a pause some visitor waited
through. Set aside, they are never walked again (a full collection then takes ~2 ms), and a
forked worker's collector no longer writes to their memory, so more of it stays shared with
the master (using an object still changes its reference count, and copies that page).
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


def settle() -> int:
    """Collect once, then exempt every object that survives from later collections (gc.freeze).

    For a server process, after warm_up(): what is loaded now lives as long as the process.
    Returns how many objects were set aside.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
