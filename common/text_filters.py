"""Template filters every template may use without {% load %} (TEMPLATES "builtins" in settings)."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .validators import show_bidi_controls

register = template.Library()


@register.filter
def bidi_visible(value) -> str:
    """Text a person typed, with direction-control characters shown as escapes (\\u202e).

    Links with such characters are refused now; this keeps the ones stored before
    from showing an address that reads differently from where it leads. The result
    is plain text: autoescaping still applies.
    """
    return show_bidi_controls("" if value is None else str(value))


# A list line: "- item", "* item" (bullets) or "1. item" / "1) item" (numbered).
_BULLET = re.compile(r"^\s*[-*]\s+(\S.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,4})[.)]\s+(\S.*)$")


def render_text(value) -> str:
    """Plain text as HTML that keeps its shape: line breaks, blank lines and lists.

    The text is escaped first, so nothing in it is ever markup. Runs of "- " or "* "
    lines become a bulleted list, runs of "1. " (or "1) ") lines a numbered one that
    starts at the first line's number; other lines are joined with line breaks, and
    a blank line between them starts a new paragraph. A text of one line comes back
    as that line alone, without a wrapper, so short texts render as before. Returns
    a safe string.
    """
    text = "" if value is None else str(value)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    # Blocks of one kind: ("p", lines), ("ul", items), ("ol", items with the first number).
    blocks: list[tuple[str, list[str], int]] = []
    gap = False
    for line in lines:
        bullet = _BULLET.match(line)
        numbered = None if bullet else _NUMBERED.match(line)
        if bullet:
            kind, content, start = "ul", bullet.group(1), 1
        elif numbered:
            kind, content, start = "ol", numbered.group(2), int(numbered.group(1))
        elif not line.strip():
            gap = True
            continue
        else:
            kind, content, start = "p", line.strip(), 1
        if blocks and blocks[-1][0] == kind and not gap:
            blocks[-1][1].append(content)
        else:
            blocks.append((kind, [content], start))
        gap = False
    if len(blocks) == 1 and blocks[0][0] == "p":
        return mark_safe("<br>".join(escape(line) for line in blocks[0][1]))  # noqa: S308 escaped
    parts = []
    for kind, contents, start in blocks:
        if kind == "p":
            parts.append("<p>" + "<br>".join(escape(line) for line in contents) + "</p>")
        else:
            items = "".join(f"<li>{escape(item)}</li>" for item in contents)
            begin = f' start="{start}"' if kind == "ol" and start != 1 else ""
            parts.append(f"<{kind}{begin}>{items}</{kind}>")
    return mark_safe("".join(parts))  # noqa: S308 every piece of text is escaped above


@register.filter(is_safe=True)
def rich_text(value) -> str:
    """render_text as a filter: {{ requirement.text|rich_text }}."""
    return render_text(value)
