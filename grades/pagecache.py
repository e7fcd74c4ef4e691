"""
Rendered progress pages and people lists, kept until anything they show may have changed.

The progress page is the product's most-read page and its dearest to build (the
ledger, the checklist with every claim and its history, mentorships, reviews);
the people list counts claims for a whole team or company. The whole page is
cached per (page, viewer, language, time zone, day, content version) in Django's
cache, the page being the person shown ("me" or their id) or the list's exact
query (grades/views.py):

* the content version is one database row (`ContentVersion`) that moves on after
  every committed change to a model the pages show: a `post_save`,
  `post_delete` or `m2m_changed` signal from any such model schedules the bump
  for when its transaction commits, and the few bulk writes that send no
  signals (the framework loader, imports, the demo seed, admin bulk actions)
  call `bump()` themselves. Every worker reads the row, so a change is seen by
  all of them at once, whatever the cache backend;
* the viewer is part of the key, so nobody is ever served a page rendered for
  someone else (the menu and the name in it are theirs too); the day is part of
  it because the page counts months and years up to today. A page with
  messages waiting is never kept or served from the cache;
* forms in the cached HTML carry a stand-in for the CSRF token, replaced by the
  viewer's own token on every request. The stand-in is derived from SECRET_KEY,
  so no text a user types can be mistaken for it.

A rendering also expires after PROGRESS_PAGE_CACHE_SECONDS (0 turns the cache
off), which bounds what a change made outside the product (raw SQL, a restored
backup) could leave behind.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_migrate
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

# Apps whose rows never appear on a cached page, or that record rather than change content.
# ("migrations": the rows `migrate` records of itself.)
IGNORED_APPS = frozenset({"admin", "axes", "contenttypes", "migrations", "sessions", "jobs"})
# Permissions are made by migrate (before this table exists); the version row is the counter.
IGNORED_MODELS = frozenset({"auth.Permission", "grades.ContentVersion"})


def _version_sql(connection) -> str:
    """The statement that reads the content version (parameter: the row's id, 1)."""
    from .models import ContentVersion

    table = connection.ops.quote_name(ContentVersion._meta.db_table)
    return f"SELECT value FROM {table} WHERE id = %s"  # noqa: S608 a model's table name


def current_version(using: str = DEFAULT_DB_ALIAS) -> int:
    # Read on every cached view: plain SQL, without the ORM's cost of building the query.
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(connection), [1])
        row = cursor.fetchone()
    return row[0] if row else 0


def exists_with_version(request, sql: str, params: list) -> bool:
    """Whether `sql` returns a row, and the content version read in the same statement.

    A kept page is guarded by a check of its own (who may see the person); reading
    the version with it saves that hit a round trip to the database. The version
    is kept on the request as request_version() would keep it.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    known = getattr(request, "_content_version", None) is not None
    version_sql = "NULL" if known else f"({_version_sql(connection)})"
    with connection.cursor() as cursor:
        # Only the caller's parameterised SQL and a model's table name are put in the text.
        cursor.execute(f"SELECT {version_sql}, EXISTS({sql})", params if known else [1, *params])  # noqa: S608
        version, found = cursor.fetchone()
    if not known:
        request._content_version = version or 0
    return bool(found)


def request_version(request) -> int:
    """The content version, read once per request (before anything it guards is read)."""
    version = getattr(request, "_content_version", None)
    if version is None:
        version = request._content_version = current_version()
    return version


def navigation_key(request) -> str:
    return f"nav:{request_version(request)}:{request.user.pk}"


def navigation_facts(request) -> dict:
    """What the navigation needs to know of the signed-in person, cached like the pages.

    {"roles": [...], "is_employee": bool, "is_lead": bool}. For showing links only:
    permission checks read the database themselves.
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    from .models import Employee
    from .roles import role_names

    user = request.user

    def load() -> dict:
        flags = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .annotate(
                is_employee=Exists(Employee.objects.filter(user=OuterRef("pk"))),
                is_lead=Exists(Employee.objects.filter(team_lead__user=OuterRef("pk"))),
            )
            .values("is_employee", "is_lead")
            .first()
            or {"is_employee": False, "is_lead": False}
        )
        return {**flags, "roles": sorted(role_names(user))}

    facts = getattr(request, "_navigation_facts", None)
    if facts is not None:
        return facts
    seconds = settings.PROGRESS_PAGE_CACHE_SECONDS
    if seconds <= 0:
        facts = load()
    else:
        key = navigation_key(request)
        facts = cache.get(key)
        if facts is None:
            facts = load()
            cache.set(key, facts, seconds)
    request._navigation_facts = facts
    return facts


def _bump_now(using: str) -> None:
    from .models import ContentVersion

    if not ContentVersion.objects.using(using).filter(pk=1).update(value=F("value") + 1):
        ContentVersion.objects.using(using).get_or_create(pk=1, defaults={"value": 1})


_migrating = False


def _migration_started(**kwargs):
    global _migrating
    _migrating = True


def _migration_finished(using=DEFAULT_DB_ALIAS, **kwargs):
    """After `migrate` (whose data migrations may change content), one bump; then normal again."""
    global _migrating
    if _migrating:
        _migrating = False
        try:
            _bump_now(using)
        except DatabaseError:  # a database whose migrations stop short of the version table
            logger.debug("no content version table yet", exc_info=True)


def bump(using: str = DEFAULT_DB_ALIAS) -> None:
    """Make every cached rendering stale once the current transaction commits.

    After the commit, not inside the transaction: the row is shared by every
    writer, and holding its lock until commit would queue unrelated writes behind
    each other. Once per transaction, however many rows it changes.
    """
    if _migrating:
        return  # the version table may not exist yet; migrate bumps once when it is done
    connection = connections[using]
    if any(getattr(entry[1], "bumps_content_version", False) for entry in connection.run_on_commit):
        return

    def run():
        _bump_now(using)

    run.bumps_content_version = True
    # robust: the data is already committed; a failed bump is logged, not raised at the user.
    transaction.on_commit(run, using=using, robust=True)


_watched: dict[type, bool] = {}


def _is_watched(model: type) -> bool:
    watched = _watched.get(model)
    if watched is None:
        meta = model._meta
        watched = not (
            # Migrations' historical models: the table may not exist yet, and no page is cached.
            model.__module__ == "__fake__"
            or meta.app_label in IGNORED_APPS
            or meta.label in IGNORED_MODELS
            # django-simple-history's records of changes: the change itself already counted.
            or hasattr(model, "instance_type")
        )
        _watched[model] = watched
    return watched


def _on_save(sender, instance, using, update_fields=None, **kwargs):
    if not _is_watched(sender):
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing a page shows
    bump(using)


def _on_delete(sender, using, **kwargs):
    if _is_watched(sender):
        bump(using)


def _on_m2m(sender, action, using, **kwargs):
    if action.startswith("post_") and _is_watched(sender):
        bump(using)


def connect_signals() -> None:
    post_save.connect(_on_save, dispatch_uid="grades.pagecache.save")
    post_delete.connect(_on_delete, dispatch_uid="grades.pagecache.delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="grades.pagecache.m2m")
    pre_migrate.connect(_migration_started, dispatch_uid="grades.pagecache.pre_migrate")
    post_migrate.connect(_migration_finished, dispatch_uid="grades.pagecache.post_migrate")


def csrf_slot() -> str:
    """The stand-in for the CSRF token inside cached HTML (hex, so escaping leaves it alone)."""
    return hashlib.sha256(f"gradesys-csrf-slot:{settings.SECRET_KEY}".encode()).hexdigest()[:32]


def cacheable(request) -> bool:
    """Whether this view of a page may come from, or go to, the cache.

    Not when the cache is off, and not while messages wait to be shown: they are
    part of the page once, and must not be kept in it.
    """
    from django.contrib.messages import get_messages

    return settings.PROGRESS_PAGE_CACHE_SECONDS > 0 and not len(get_messages(request))


def _page_key(request, subject: str) -> str:
    from .selectors import today

    # The version first: a rendering is only ever stored under a version at least as old
    # as the data it was built from.
    return ":".join(
        [
            "progress",
            str(request_version(request)),
            subject,
            str(request.user.pk),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            today().isoformat(),
        ]
    )


def query_subject(name: str, request) -> str:
    """The kept-page name of a list: `name` and its exact query, hashed so that the key's
    length does not depend on what a user types."""
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    return f"{name}:{hashlib.sha256(query.encode()).hexdigest()[:32]}"


def kept_list(request, name: str) -> tuple[str | None, str | None]:
    """For a list view: (the key of its kept page, None when the cache may not be used;
    the kept page for this viewer, None when there is none)."""
    if not cacheable(request):
        return None, None
    key = query_subject(name, request)
    return key, kept(request, key)


def kept(request, subject: str) -> str | None:
    """The kept page of `subject` ("me" or an employee id) for this viewer, or None."""
    html = cache.get(_page_key(request, subject))
    return None if html is None else _for_viewer(request, html)


def _for_viewer(request, html: str) -> str:
    """A kept page with the viewer's own CSRF token in place of the stand-in."""
    return html.replace(csrf_slot(), get_token(request))


def respond(request, subject: str | None, build: Callable[[str], str], *, status: int = 200) -> HttpResponse:
    """The page `build(csrf token)` makes, kept under `subject` when it is a plain 200 the
    cache may hold; otherwise built for this viewer alone (a re-shown form, an error)."""
    if subject is not None and status == 200 and cacheable(request):
        return HttpResponse(build_and_keep(request, subject, build))
    return HttpResponse(build(get_token(request)), status=status)


def build_and_keep(request, subject: str, build: Callable[[str], str]) -> str:
    """Build the page with `build(csrf stand-in)`, keep it, and return it for this viewer."""
    key = _page_key(request, subject)  # read the version before the data
    html = build(csrf_slot())
    cache.set(key, html, settings.PROGRESS_PAGE_CACHE_SECONDS)
    return _for_viewer(request, html)
