"""The 400, 403 and 404 pages: the site's layout, the reason when the project gave one, a way home.

Django's own handlers hand 404.html any exception's text, including its own ("No Employee
matches the given query." from get_object_or_404, naming a model) and leave 400.html without
one. Here a reason is shown only when the project's code raised the exception with a message
(`raise PermissionDenied(_("Only HR ..."))`): those are written for the reader, in their language.
Django's messages stay in the log.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.functional import Promise
from django.views.decorators.csrf import requires_csrf_token

_PROJECT = Path(settings.BASE_DIR).resolve()


def _raised_by_the_project(exception: BaseException) -> bool:
    """Whether the innermost frame of the exception's traceback is a module of this project
    (not Django's, not another installed package's)."""
    tb = exception.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = Path(tb.tb_frame.f_code.co_filename).resolve()
    if not filename.is_relative_to(_PROJECT):
        return False
    return not {"site-packages", "dist-packages"} & set(filename.parts)


def user_reason(exception: BaseException | None) -> str:
    """The message a reader should see for `exception`, or "" when it has none meant for them."""
    if exception is None or not exception.args or not _raised_by_the_project(exception):
        return ""
    message = exception.args[0]
    # A string or a lazy translation; Resolver404's dictionary of tried patterns is not one.
    return str(message) if isinstance(message, (str, Promise)) else ""


def _page(request, exception, template_name: str, status: int):
    return render(request, template_name, {"reason": user_reason(exception)}, status=status)


@requires_csrf_token
def bad_request(request, exception):
    return _page(request, exception, "400.html", 400)


@requires_csrf_token
def permission_denied(request, exception):
    return _page(request, exception, "403.html", 403)


@requires_csrf_token
def page_not_found(request, exception):
    return _page(request, exception, "404.html", 404)
