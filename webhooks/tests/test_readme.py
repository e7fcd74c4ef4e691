"""The README's signature check, run as printed against what a real receiver got."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from grades import events
from webhooks import services
from webhooks.tests.factories import SECRET, endpoint

pytestmark = pytest.mark.django_db


def readme_verify():
    text = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", text, re.S)
    assert block, "the README's verification example"
    namespace: dict = {}
    exec(block.group(1), namespace)  # noqa: S102 - our own README's example, run as a reader would
    return namespace["verify"]


def test_the_readme_example_accepts_a_real_delivery_and_refuses_a_forged_one(receiver):
    endpoint(receiver.url())
    events.announce(events.Event(type=events.ELIGIBLE, key="person.eligible:1:2026-03-10",
                                 data={"employee_id": 1, "next_level": "Middle+", "earliest": "2026-03-10"},
                                 path="/people/1/"))
    services.deliveries_send()
    [request] = receiver.received
    verify = readme_verify()

    header = request.headers["X-Gradesys-Signature"]
    assert verify(SECRET, header, request.body)
    assert not verify("not-the-secret-at-all", header, request.body)
    assert not verify(SECRET, header, request.body.replace(b"Middle+", b"Senior++"))
    assert not verify(SECRET, "garbage", request.body)
    assert not verify(SECRET, header.split(",")[0], request.body)
