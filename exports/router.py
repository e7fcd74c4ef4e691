"""Routing for the optional reports replica.

Exports choose their database explicitly (exports.db.reports_alias()); this router
makes sure nothing else does: no model reads or writes go to the replica and
`migrate` never touches it (a replica follows its primary by replication).
"""

from exports.db import REPORTS_ALIAS


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPORTS_ALIAS:
            return False
        return None
