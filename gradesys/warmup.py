"""
What a server process prepares before its first request, so that no visitor pays for it.

A process compiles each page template, builds the URL table and reads each language's
translations the first time a request needs them: a few hundred milliseconds on the first
visit to each kind of page. gunicorn recycles its workers every couple of thousand requests
(gunicorn.conf.py), so on a busy site some visitor was always the first. The gunicorn
master, which loads the project once and forks the workers from it, calls warm_up() before
it forks them: each worker starts with all of it in memory it shares with the master.

Nothing here touches the database or the cache, so no connection is made before the fork.
"""

from __future__ import annotations

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
