"""Short lists read as JSON arrays inside another statement, and made back into models.

A page that shows one row with a few short lists (a review with its seats, a person with
their mentorships and grade ledger) reads them as correlated subqueries of that row's
statement, each one JSON array, rather than as one statement a list. The database builds
the arrays; the page makes saved model instances of their elements (rows_as).
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


class JSONArrayAgg(Aggregate):
    """The grouped rows' values as one JSON array.

    Labelled per vendor: SQLite calls it json_group_array, MariaDB and MySQL JSON_ARRAYAGG.
    The order of the elements is not defined; callers sort what they read.
    """

    function = "JSON_ARRAYAGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="json_group_array", **extra_context)


def json_rows(queryset: models.QuerySet, **fields) -> Subquery:
    """A subquery returning `queryset`'s rows as one JSON array of objects with `fields`
    (key: column path), for the select list of another statement.

    `queryset` is usually correlated to the outer row (OuterRef). No rows give NULL or an
    empty array, by vendor: read the value with `or []`.
    """
    grouped = (
        queryset.order_by().annotate(grouping=Value(1)).values("grouping")
        .annotate(rows=JSONArrayAgg(JSONObject(**fields)))
    )
    return Subquery(grouped.values("rows"), output_field=JSONField())


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
    """The elements of a JSON array read with json_rows as saved `model` instances.

    `columns` maps an attname of the model to the element's key when they differ; keys that
    name no field of the model are left out (the caller reads them from the element).
    """
    names = {field.attname for field in model._meta.concrete_fields}
    made = []
    for row in rows or []:
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
