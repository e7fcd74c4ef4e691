"""Running calls at the same moment in threads, for the race tests of every app."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def in_threads(*calls: Callable, timeout: float) -> list:
    """Run each call in a thread of its own (so with a database connection of its own).

    Returns, in order, what each call returned or the exception it raised; fails the test if
    a thread is still running `timeout` seconds after it was joined (a deadlock).
    """
    results: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results
