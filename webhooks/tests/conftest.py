import pytest

from webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver():
    """A receiver listening for the test's duration, stopped after it."""
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def down_receiver():
    """A receiver that is down (nothing listens on its port) until the test starts it."""
    waiting = Receiver()
    yield waiting
    waiting.stop()
