"""The audit trail's inventory and its one write mechanism (common.audit).

The inventory tests walk every model of the product's apps and every model in
admin: each must keep history rows or be listed as a record of its own kind, so a
new model without an audit trail fails here. The source scan reads the product's
code and refuses a manager-level write (update, delete, bulk_create, ...) to a
model with history that goes around common.audit, since simple-history would
not see it.
"""

from __future__ import annotations

import ast
import datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.db import models
from simple_history.models import HistoricalChanges

from common import audit
from grades.models import Book, Ladder, Track, TrackLevel
from grades.tests.factories import BookFactory, TrackFactory, UserFactory, level

ROOT = Path(settings.BASE_DIR)
PRODUCT_APPS = ("grades", "reviews", "pay", "imports", "exports", "jobs", "webhooks", "api", "sso")
# Code of the product that is not an app of its own.
PRODUCT_PACKAGES = (*PRODUCT_APPS, "gradesys")

# Manager-level writes that simple-history does not see, or sees without the actor.
WRITE_METHODS = {"update", "delete", "bulk_create", "bulk_update", "create", "get_or_create", "update_or_create"}

# (file, model, method) of the manager-level writes to audited models that stay, and why.
ALLOWED_WRITES = {
    ("grades/services.py", "Employee", "update"): (
        "derived columns (current level, checklist counts, last failed defense), refreshed in the "
        "transaction of the audited write that changed their source"
    ),
    ("grades/versions.py", "Requirement", "update"): (
        "derived column (the framework version that brought each requirement's wording), set "
        "by the load that appends the version; the version row records who and when"
    ),
    ("api/services.py", "ApiToken", "update"): (
        "derived column (a token's last use), noted at most once a minute by the call that used it"
    ),
    ("imports/services.py", "Employee", "bulk_create"): (
        "thousands of new people in batches; the rows are read back by user and their history rows "
        "written with bulk_history_create(default_user=by) right after"
    ),
}


def _label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _product_models():
    for app in PRODUCT_APPS:
        for model in apps.get_app_config(app).get_models():
            if issubclass(model, HistoricalChanges) or model._meta.auto_created:
                continue
            yield model


def _kinds(label: str, model) -> list[str]:
    kinds = []
    if audit.has_history(model):
        kinds.append("history")
    if label in audit.OWN_RECORD:
        kinds.append("own record")
    if label in audit.SYSTEM_RECORD:
        kinds.append("system record")
    if label in audit.ADMIN_LOGGED:
        kinds.append("admin log")
    return kinds


# --- The inventory ----------------------------------------------------------------------------


def test_every_model_of_the_product_keeps_exactly_one_kind_of_record():
    models_seen = list(_product_models())
    assert len(models_seen) > 10  # the walk found the apps' models
    problems = {}
    for model in models_seen:
        label = _label(model)
        kinds = _kinds(label, model)
        if len(kinds) != 1:
            problems[label] = kinds
    assert problems == {}, (
        "Each model needs history = HistoricalRecords(...) or a place in common.audit's "
        "OWN_RECORD / SYSTEM_RECORD (and only one of them)"
    )


def test_every_model_in_admin_keeps_a_record():
    unaudited = sorted(_label(model) for model in admin.site._registry if not _kinds(_label(model), model))
    assert unaudited == []


def test_the_lists_name_installed_models_only():
    for label in [*audit.OWN_RECORD, *audit.SYSTEM_RECORD, *audit.ADMIN_LOGGED, *audit.DERIVED_FIELDS]:
        assert apps.get_model(label) is not None


@pytest.mark.parametrize("label", sorted(audit.OWN_RECORD))
def test_an_own_record_names_who_and_when(label):
    model = apps.get_model(label)
    who, when = audit.OWN_RECORD[label]
    who_field = model._meta.get_field(who)
    assert who_field.is_relation and who_field.related_model is get_user_model()
    assert isinstance(model._meta.get_field(when), models.DateTimeField)


@pytest.mark.parametrize("label", sorted(audit.SYSTEM_RECORD))
def test_a_system_record_says_when(label):
    field = apps.get_model(label)._meta.get_field(audit.SYSTEM_RECORD[label])
    assert isinstance(field, models.DateField | models.DateTimeField)


@pytest.mark.parametrize("label", sorted(audit.DERIVED_FIELDS))
def test_derived_columns_are_left_out_of_history(label):
    model = apps.get_model(label)
    tracked = {field.name for field in model.history.model._meta.fields}
    for name in audit.DERIVED_FIELDS[label]:
        model._meta.get_field(name)  # still a column of the model
        assert name not in tracked
    # Everything else the row holds is in its history.
    own = {field.name for field in model._meta.concrete_fields} - audit.DERIVED_FIELDS[label]
    assert own <= tracked


# --- The source scan --------------------------------------------------------------------------


def _manager_writes(path: Path):
    """(line, model name, method) of each `<Model>.objects....<write>(...)` call in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITE_METHODS:
            continue
        receiver = node.func.value
        while True:
            if isinstance(receiver, ast.Call):
                receiver = receiver.func
            elif isinstance(receiver, ast.Attribute):
                if receiver.attr in ("objects", "_default_manager") and isinstance(receiver.value, ast.Name):
                    yield node.lineno, receiver.value.id, node.func.attr
                    break
                receiver = receiver.value
            else:
                break


def _product_sources():
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield path


def test_the_scan_finds_manager_writes(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "Requirement.objects.filter(pk=1).update(is_active=False)\n"
        "Book.objects.using('default').bulk_create([])\n"
        "data.update({})\n"
        "audit.save(book, by=None)\n"
    )
    assert list(_manager_writes(sample)) == [(1, "Requirement", "update"), (2, "Book", "bulk_create")]


def test_writes_to_audited_models_go_through_the_audit_module():
    audited = {model.__name__ for model in _product_models() if audit.has_history(model)}
    found, used = [], set()
    for path in _product_sources():
        relative = path.relative_to(ROOT).as_posix()
        for line, name, method in _manager_writes(path):
            if name not in audited:
                continue
            if (relative, name, method) in ALLOWED_WRITES:
                used.add((relative, name, method))
                continue
            found.append(f"{relative}:{line}: {name}.objects...{method}()")
    assert found == [], "use common.audit (save, create, delete, bulk_create, bulk_update) instead"
    assert used == set(ALLOWED_WRITES)  # an exception no longer needed is taken off the list


# --- The helpers ------------------------------------------------------------------------------


@pytest.fixture
def hr():
    return UserFactory(username="hr-audit", roles=["HR"])


@pytest.mark.django_db
def test_save_create_and_delete_name_the_actor_and_the_reason(hr):
    track_level = TrackLevel.objects.get(track__slug="backend", level=level("middle"))
    book = audit.create(Book, by=hr, reason="why not", track_level=track_level, title="Refactoring")
    book.author = "Fowler"
    audit.save(book, by=hr, update_fields=["author"])
    book_id = book.pk
    audit.delete(book, by=hr, reason="gone")
    rows = list(Book.history.filter(id=book_id).order_by("history_id"))
    assert [(r.history_type, r.history_user, r.history_change_reason, r.author) for r in rows] == [
        ("+", hr, "why not", ""),
        ("~", hr, None, "Fowler"),
        ("-", hr, "gone", "Fowler"),
    ]
    # The instance forgets who and why once written: a later plain save names nobody.
    assert "_history_user" not in book.__dict__ and "_change_reason" not in book.__dict__


@pytest.mark.django_db
def test_bulk_create_and_bulk_update_write_one_history_row_each(hr):
    before = datetime.datetime.now(datetime.timezone.utc)
    standard = Ladder.objects.get(slug="standard")
    tracks = audit.bulk_create(
        [Track(slug="qa", name="QA", ladder=standard), Track(slug="data", name="Data", ladder=standard)],
        by=hr, reason="new tracks",
    )
    assert all(track.pk for track in tracks)
    for track in tracks:
        track.is_active = False
    assert audit.bulk_update(tracks, ["is_active"], by=hr, reason="paused") == 2
    rows = Track.history.filter(id__in=[t.pk for t in tracks]).order_by("history_id")
    assert [(r.slug, r.history_type, r.is_active, r.history_change_reason) for r in rows] == [
        ("qa", "+", True, "new tracks"),
        ("data", "+", True, "new tracks"),
        ("qa", "~", False, "paused"),
        ("data", "~", False, "paused"),
    ]
    assert {r.history_user for r in rows} == {hr}
    assert all(r.history_date >= before for r in rows)
    assert audit.bulk_create([], by=hr) == [] and audit.bulk_update([], ["name"], by=hr) == 0


@pytest.mark.django_db
def test_get_or_create_records_only_a_new_row(hr):
    track = TrackFactory()
    made, created = audit.get_or_create(TrackLevel, by=hr, reason="r", track=track, level=level("middle"))
    again, created_again = audit.get_or_create(TrackLevel, by=hr, reason="r", track=track, level=level("middle"))
    assert (created, created_again, again.pk) == (True, False, made.pk)
    assert [(r.history_type, r.history_user) for r in TrackLevel.history.filter(id=made.pk)] == [("+", hr)]


@pytest.mark.django_db
def test_an_anonymous_or_missing_actor_records_no_user():
    from django.contrib.auth.models import AnonymousUser

    book = BookFactory()
    audit.save(book, by=AnonymousUser(), reason="x" * 300)
    record = book.history.latest()
    assert record.history_user is None
    assert len(record.history_change_reason) == audit.REASON_LENGTH  # cut to the column's size


@pytest.mark.django_db
def test_command_actor_and_reason(hr):
    assert audit.command_actor(None) is None
    assert audit.command_actor("hr-audit") == hr
    with pytest.raises(CommandError, match="no active account"):
        audit.command_actor("nobody-here")
    hr.is_active = False
    hr.save()
    with pytest.raises(CommandError, match="no active account"):
        audit.command_actor("hr-audit")
    assert audit.command_reason("load_framework backend.yaml", UserFactory()) == "load_framework backend.yaml"
    unnamed = audit.command_reason("load_framework " + "x" * 200, None)
    assert "(command line, system login " in unnamed and len(unnamed) <= audit.REASON_LENGTH
