"""Short lists read as JSON inside another statement, and made back into models.

A page that shows one row with a few short lists (a review with its seats, a person with
their mentorships and grade ledger) reads them as correlated subqueries of that row's
statement, each one JSON value, rather than as one statement a list. The database builds
the values; the page makes saved model instances of their elements (rows_as).

Each list is built as a JSON object keyed by the rows' ids, not as a JSON array. MariaDB
builds an array (JSON_ARRAYAGG, a form of GROUP_CONCAT) in a scratch table that it makes
on disk whenever an element may be longer than 512 characters, which a row with a text
column always may: one such table per list and per request, about a sixth of a
millisecond of the server's time each, even for an empty list (two thirds of the time
MariaDB took to answer the review page's statement, with its eleven lists).
JSON_OBJECTAGG appends to its result directly, and is not cut at group_concat_max_len.
"""

from __future__ import annotations

import datetime
import decimal
import json

from django.db import models
from django.db.models import Aggregate, JSONField, Subquery, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class JSONRowsField(JSONField):
    """The value of json_rows read as a list: the members of the object the database built,
    one a row (in no defined order; callers sort what they read). No rows read as []."""

    def from_db_value(self, value, expression, connection):
        rows = super().from_db_value(value, expression, connection)
        return list(rows.values()) if rows else []


class JSONObjectAgg(Aggregate):
    """The grouped rows as one JSON object: `key` of each row to its `value`.

    Labelled per vendor: SQLite calls it json_group_object, MariaDB and MySQL JSON_OBJECTAGG.
    A key met twice is written twice and only its last member is read back: the keys must
    be unique among the grouped rows.
    """

    function = "JSON_OBJECTAGG"
    arity = 2
    output_field = JSONRowsField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="json_group_object", **extra_context)


def json_rows(queryset: models.QuerySet, **fields) -> Subquery:
    """A subquery returning `queryset`'s rows as JSON objects with `fields` (key: column
    path), for the select list of another statement; read, the annotation is a list of dicts.

    `queryset` is usually correlated to the outer row (OuterRef). Its rows are keyed by
    their primary key, so it may join only to-one relations: a row repeated by a to-many
    join would be read once.
    """
    grouped = (
        queryset.order_by().annotate(grouping=Value(1)).values("grouping")
        .annotate(rows=JSONObjectAgg("pk", JSONObject(**fields)))
    )
    return Subquery(grouped.values("rows"), output_field=JSONRowsField())


def _value(field: models.Field, value):
    """A JSON element's value as the model field holds it.

    The vendors put dates and times in the arrays as text (times in UTC, as they are stored),
    booleans as 0 and 1, and a JSON column as its text.
    """
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else value
        return timezone.make_aware(moment, datetime.timezone.utc) if timezone.is_naive(moment) else moment
    if isinstance(field, models.DateField):
        return datetime.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.JSONField) and isinstance(value, str):
        return json.loads(value)
    return value


def instance(model, db: str, values: dict):
    """A saved `model` instance of the columns in `values` (by attname); the others deferred.

    from_db takes a part of the columns in the model's field order, so they are put in it here.
    """
    fields = [field for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, [field.attname for field in fields], [_value(field, values[field.attname]) for field in fields])


def rows_as(model, db: str, rows, **columns) -> list:
    """The elements of a list read with json_rows as saved `model` instances.

    `columns` maps an attname of the model to the element's key when they differ; keys that
    name no field of the model are left out (the caller reads them from the element).
    """
    names = {field.attname for field in model._meta.concrete_fields}
    made = []
    for row in rows:
        values = {name: row[key] for name, key in columns.items()}
        values.update((key, value) for key, value in row.items() if key in names and key not in values)
        made.append(instance(model, db, values))
    return made


def own_columns(model) -> dict[str, str]:
    """json_rows keys of every column of `model` itself, each under its attname."""
    return {field.attname: field.attname for field in model._meta.concrete_fields}


# What a JSON row carries of a user it names: enough for get_full_name() and get_username().
USER_NAME_FIELDS = ("username", "first_name", "last_name")


def user_name_keys(*relations: str) -> dict[str, str]:
    """json_rows keys of the names of the users at `relations` (each a path to a user)."""
    return {f"{relation}__{name}": f"{relation}__{name}" for relation in relations for name in USER_NAME_FIELDS}


def user_of_row(db: str, row: dict, relation: str, pk):
    """The user `pk` at `relation` of a JSON row, with the names user_name_keys put in it; None without one."""
    if pk is None:
        return None
    from django.contrib.auth import get_user_model

    return instance(get_user_model(), db, {"id": pk, **{name: row[f"{relation}__{name}"] for name in USER_NAME_FIELDS}})
