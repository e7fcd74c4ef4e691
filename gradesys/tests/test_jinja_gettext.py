"""The pages' translation calls give exactly what the i18n extension's own calls give.

gradesys.jinja2 replaces the extension's gettext and ngettext wrappers with direct ones; each
template below is rendered by the site's environment and by one set up the extension's way
(install_gettext_callables, new style), in both languages, with autoescaping on and off.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from jinja2 import Environment

from gradesys.jinja2 import environment

TEMPLATES = [
    '{{ _("Your vote is recorded.") }}',
    '{{ gettext("The statement is saved.") }}',
    # Variables are escaped into the text when autoescaping; "%%" is a percent sign.
    '{{ _("Passed: %(name)s is now %(level)s.", name=who, level="<Senior>") }}',
    '{{ _("100%% done") }}|{{ _("no format") }}',
    "{% trans %}Your vote is recorded.{% endtrans %}",
    "{% trans name=who %}Hello {{ name }}{% endtrans %}",
    "{% trans count=n %}{{ count }} day{% pluralize %}{{ count }} days{% endtrans %}",
    '{{ ngettext("%(num)s claim", "%(num)s claims", n) }}',
    '{{ ngettext("%(num)s claim of %(who)s", "%(num)s claims of %(who)s", n, who=who) }}',
    # A translation whose text holds markup-like characters stays as the extension leaves it.
    '{{ _("a < b & c") }}',
]


def _reference(autoescape: bool) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    return env


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("n", [1, 3, 5, 21])
@pytest.mark.parametrize("source", TEMPLATES)
def test_the_site_translates_as_the_extension_does(source, n, autoescape, language):
    site, reference = environment(autoescape=autoescape), _reference(autoescape)
    values = {"who": '<script>alert("x")</script> & Ко', "n": n}
    with translation.override(language):
        ours = site.from_string(source).render(values)
        theirs = reference.from_string(source).render(values)
    assert ours == theirs
    assert "<script>" not in ours or not autoescape


def test_the_translation_is_the_readers_language():
    site = environment(autoescape=True)
    template = site.from_string('{{ _("Your vote is recorded.") }}|{% trans count=3 %}{{ count }} day{% pluralize %}'
                                "{{ count }} days{% endtrans %}")
    with translation.override("en"):
        english = template.render()
    with translation.override("ru"):
        russian = template.render()
        vote_recorded = gettext("Your vote is recorded.")
    assert english == "Your vote is recorded.|3 days"
    assert vote_recorded != "Your vote is recorded."  # the catalogue has it
    assert russian.split("|")[0] == vote_recorded


def test_a_bad_placeholder_fails_as_it_does_with_the_extension():
    """A variable the text names but the call does not pass is a template error either way."""
    for env in (environment(autoescape=True), _reference(True)):
        with pytest.raises(KeyError):
            env.from_string('{{ _("Hello %(name)s") }}').render()
