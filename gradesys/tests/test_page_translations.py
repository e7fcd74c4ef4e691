"""Every text the site's pages translate has its Russian rendering in the catalogue."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.utils import translation

PAGES = Path(settings.BASE_DIR) / "jinja2"
# Words that read the same in both languages.
SAME_IN_BOTH = {"gradesys"}


def page_messages():
    env = engines["jinja2"].env
    for path in sorted(PAGES.rglob("*.html")):
        for line, function, message in env.extract_translations(path.read_text(encoding="utf-8")):
            yield f"{path.relative_to(PAGES)}:{line}", function, message


def test_the_pages_have_texts_to_translate():
    assert len(list(page_messages())) > 200


@pytest.mark.parametrize("where, function, message", list(page_messages()))
def test_every_page_text_is_in_russian(where, function, message):
    with translation.override("ru"):
        if function == "ngettext":
            singular, plural = message[0], message[1]
            rendered = [translation.ngettext(singular, plural, n) for n in (1, 2, 5)]
            missing = rendered[0] == singular or rendered[2] == plural
        else:
            message = message[0] if isinstance(message, tuple) else message  # keyword arguments come as None
            missing = translation.gettext(message) == message and message not in SAME_IN_BOTH
    assert not missing, f"{where}: no Russian text for {message!r}"
