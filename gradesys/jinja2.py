"""
The Jinja2 environment of the site's pages (templates under jinja2/; the admin and the mails
stay on Django's template language, under templates/).

Pages are compiled to Python once and rendered without Django's per-node lookups: a progress
page has up to a hundred checklist lines, each with its forms. The globals and filters below
are the few the pages use, each the same function the rest of Django uses (dates as the `date`
filter writes them, texts in the reader's language, translations from the same catalogue).
"""

from __future__ import annotations

from django.conf import settings
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import get_current_timezone_name, template_localtime
from django.utils.translation import gettext, ngettext
from jinja2 import Environment, pass_eval_context
from markupsafe import Markup

from common.text_filters import bidi_visible, rich_text
from grades.templatetags.grades_tags import level_name, localized
from pay.templatetags.pay_tags import amount


def url(name: str, *args) -> str:
    """`{{ url("grades:person", pk) }}`: reverse() with positional arguments."""
    return reverse(name, args=args)


def date(value, format_string: str | None = None) -> str:
    """Django's `date` filter, on the local time of an aware datetime as templates show it."""
    if value in (None, ""):
        return ""
    return defaultfilters.date(template_localtime(value), format_string)


def time(value, format_string: str | None = None) -> str:
    if value in (None, ""):
        return ""
    return defaultfilters.time(template_localtime(value), format_string)


# The i18n extension's "new style" calls: `_("Saved %(name)s", name=x)` and {% trans %} blocks
# translate, mark the text safe when autoescaping (so the variables are escaped into it) and
# fill it in. These two do exactly that, with Django's catalogue called directly: the
# extension's own wrappers pass through the template context twice per call, and a page
# translates a couple of hundred strings. As the extension does, the text is always treated
# as a format string ("%%" becomes "%"), with or without variables.
@pass_eval_context
def _gettext(eval_ctx, string: str, /, **variables) -> str:
    text = gettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def _ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    variables.setdefault("num", num)
    text = ngettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def environment(**options) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    # The extension's calls replaced by the equivalent ones above; `_` is gettext's alias.
    env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext)
    # time_zone(): the zone the pages' times are in (TIME_ZONE), named next to them.
    env.globals.update(static=static, url=url, LANGUAGES=settings.LANGUAGES, time_zone=get_current_timezone_name)
    env.filters.update(
        date=date,
        time=time,
        linebreaksbr=defaultfilters.linebreaksbr,
        level_name=level_name,
        localized=localized,
        bidi_visible=bidi_visible,
        rich_text=rich_text,
        amount=amount,
    )
    return env
