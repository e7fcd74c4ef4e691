"""Routing for the optional `legacy` source database.

The importer reads it with raw SQL through `connections["legacy"]`; this router
makes sure nothing else does: no model is read from or written to it, and
`migrate` never creates a table there. The connection itself runs one statement
per call and is read-only (common.databases.legacy_database_config and
imports.legacy_source.open_source), and the importer checks every statement.
"""

LEGACY_ALIAS = "legacy"


class LegacyReadOnlyRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == LEGACY_ALIAS:
            return False
        return None
