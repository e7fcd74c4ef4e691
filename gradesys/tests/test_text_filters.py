"""common.text_filters: texts people and framework files wrote, shown as they were shaped."""

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from common.text_filters import render_text


@pytest.mark.parametrize(
    "text, html",
    [
        # One line: itself, escaped, without a wrapper (short texts render as before).
        ("Knows git", "Knows git"),
        ("<b>bold</b> & 'quotes'", "&lt;b&gt;bold&lt;/b&gt; &amp; &#x27;quotes&#x27;"),
        ("", ""),
        (None, ""),
        # Lines of one paragraph keep their breaks.
        ("first\nsecond", "first<br>second"),
        ("first\r\nsecond", "first<br>second"),
        # A blank line starts a paragraph.
        ("one\n\ntwo", "<p>one</p><p>two</p>"),
        # "- " and "* " lines are a bulleted list, after a lead-in line.
        ("Writes tests:\n- unit\n* integration", "<p>Writes tests:</p><ul><li>unit</li><li>integration</li></ul>"),
        ("- only\n- items", "<ul><li>only</li><li>items</li></ul>"),
        # "1. " and "1) " lines are a numbered list, starting where the text starts it.
        ("1. Plans\n2. Delivers", "<ol><li>Plans</li><li>Delivers</li></ol>"),
        ("3) third\n4) fourth", '<ol start="3"><li>third</li><li>fourth</li></ol>'),
        # Items are escaped too; a list ends where ordinary lines go on.
        ("- <script>x</script>\nafter", "<ul><li>&lt;script&gt;x&lt;/script&gt;</li></ul><p>after</p>"),
        # Not a list: a dash without a space, a number without a dot.
        ("-5 degrees\n2024 was good", "-5 degrees<br>2024 was good"),
        # A blank line between two lists makes two lists.
        ("- a\n\n- b", "<ul><li>a</li></ul><ul><li>b</li></ul>"),
        ("  - indented\n  - bullets", "<ul><li>indented</li><li>bullets</li></ul>"),
    ],
)
def test_render_text(text, html):
    rendered = render_text(text)
    assert rendered == html
    assert isinstance(rendered, SafeString)


def test_the_filter_escapes_once_in_a_template():
    template = Template("{{ value|rich_text }}")
    assert template.render(Context({"value": "a < b\n- c & d"})) == "<p>a &lt; b</p><ul><li>c &amp; d</li></ul>"
