"""
The reasons the product writes on grade-ledger entries itself, shown in the reader's language.

A reason is stored as text (GradeChange.reason): HR's own words stay as written. The
sentences the product composes — a promotion after a passed defense — are stored in
English, from the untranslated templates below, and rendered again in the reader's
language when shown (GradeChange.reason_display), with the level's name in that language.
An entry written earlier in Russian is recognised from the Russian catalogue's wording too.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.utils.translation import get_language, gettext, gettext_noop, override

# reviews.services.review_decide: the promotion recorded for a passed defense.
PASSED_DEFENSE = gettext_noop("Passed the defense of %(level)s (review #%(id)s).")

TEMPLATES = (PASSED_DEFENSE,)


def _pattern(template: str) -> re.Pattern:
    """A template as a regular expression: `%(id)s` a number, any other placeholder some text."""
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else (rf"(?P<{part}>\d+)" if part == "id" else rf"(?P<{part}>.+?)")
        for index, part in enumerate(parts)
    )
    return re.compile(rf"^{regex}$", re.DOTALL)


@functools.cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """(template, pattern) for each template in English and in each interface language."""
    found: list[tuple[str, re.Pattern]] = []
    for template in TEMPLATES:
        wordings = {template}
        for code, _name in settings.LANGUAGES:
            with override(code):
                wordings.add(gettext(template))
        found += [(template, _pattern(wording)) for wording in sorted(wordings)]
    return tuple(found)


def stored(template: str, **values) -> str:
    """The text to store for one of the templates: English, with the given values (an English level name)."""
    return template % values


def in_reader_language(reason: str, *, level=None) -> str:
    """`reason` in the current language when the product wrote it, else as written.

    `level` (a Level, or anything with name/name_ru) is the entry's level: its name in the
    reader's language takes the place of the stored one; it is read only when the reason
    is one of the product's.
    """
    if not reason:
        return ""
    for template, pattern in _patterns():
        match = pattern.match(reason)
        if match is None:
            continue
        values = match.groupdict()
        if level is not None and "level" in values:
            values["level"] = _name(level)
        return gettext(template) % values
    return reason


def _name(level) -> str:
    name_ru = getattr(level, "name_ru", "")
    if name_ru and (get_language() or "en").startswith("ru"):
        return name_ru
    return level.name
