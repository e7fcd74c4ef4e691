"""
Producing a download at a lower CPU priority than the pages.

A big export keeps a worker and the database busy for seconds. The rows are
read and formatted in a thread of the worker's own whose scheduling priority
is lowered (Linux `nice`, per thread), and handed to the worker's main thread
over a short queue. Alone on the machine the export runs at full speed; when
pages want the CPU, they get it first. The database follows: it is asked for the
next rows only as fast as the thread consumes them, and the skill matrix leaves
it little to do (exports/reports.py, _skill_matrix_rows).

Used for MySQL/MariaDB downloads, whose rows come through a connection the
export opens itself (exports/db.py), so the thread touches no connection of the
request's.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator

from django.db import connections

logger = logging.getLogger(__name__)

_DONE = object()
# How long a blocked hand-over waits before it looks again whether the client left.
_POLL_SECONDS = 0.25


def lower_own_priority(niceness: int) -> None:
    """Make the calling thread `niceness` steps nicer (Linux: priorities are per thread)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except OSError:  # not allowed here: run at the normal priority
        logger.debug("could not lower the export thread's priority", exc_info=True)


def at_low_priority(make_chunks: Callable[[], Iterator[bytes]], niceness: int, depth: int = 4) -> Iterator[bytes]:
    """Yield the chunks of `make_chunks()`, produced in a thread `niceness` steps nicer.

    Errors in the thread are raised here. Closing this generator (the client went
    away) stops the thread after its current chunk and closes its generator, and
    with it the export's database connection.
    """
    handover: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        lower_own_priority(niceness)
        outcome = _DONE
        try:
            chunks = make_chunks()
            try:
                for chunk in chunks:
                    if not put(chunk):
                        break
            finally:
                chunks.close()
        except Exception as exc:  # handed to the consumer, which raises it
            outcome = exc
        finally:
            connections.close_all()  # this thread's own Django connections, if it opened any
        put(outcome)

    thread = threading.Thread(target=produce, name="export", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)
