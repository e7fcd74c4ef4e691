"""Producing a download in a lower-priority thread: same bytes, errors surface, early close stops it."""

import os
import threading
import time

import pytest

from exports import priority


def test_chunks_arrive_in_order_from_a_nicer_thread():
    seen = {}

    def make():
        tid = threading.get_native_id()
        seen["thread"] = tid
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, tid)
        for i in range(50):
            yield f"{i};".encode()

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    out = b"".join(priority.at_low_priority(make, 5, depth=2))
    assert out == b"".join(f"{i};".encode() for i in range(50))
    assert seen["thread"] != threading.get_native_id()
    assert seen["nice"] == min(19, before + 5)
    # The caller's own priority is untouched.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_an_error_in_the_thread_is_raised_to_the_reader():
    def make():
        yield b"first"
        raise ValueError("the database went away")

    chunks = priority.at_low_priority(make, 5)
    assert next(chunks) == b"first"
    with pytest.raises(ValueError, match="went away"):
        next(chunks)


def test_closing_early_stops_the_thread_and_closes_its_generator():
    state = {"closed": False, "produced": 0}

    def make():
        try:
            while True:
                state["produced"] += 1
                yield b"x" * 10
        finally:
            state["closed"] = True

    chunks = priority.at_low_priority(make, 5, depth=2)
    assert next(chunks) == b"x" * 10
    chunks.close()  # what the server does when the client disconnects
    assert state["closed"]
    produced = state["produced"]
    time.sleep(0.3)
    assert state["produced"] == produced  # nothing more is read
    assert not [t for t in threading.enumerate() if t.name == "export"]
