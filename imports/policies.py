"""Who may run the spreadsheet imports in the admin: the model permissions each import writes with."""

from __future__ import annotations

PEOPLE_PERMISSIONS = ("grades.add_employee", "grades.add_gradechange", "auth.add_user")
REQUIREMENT_PERMISSIONS = ("grades.add_requirement", "grades.change_requirement")


def may_import_people(user) -> bool:
    """HR: importing people creates accounts, employees and their ledger entries."""
    return user.is_active and user.is_staff and user.has_perms(PEOPLE_PERMISSIONS)


def may_import_requirements(user) -> bool:
    """Whoever may add and change requirements: importing a framework file does both."""
    return user.is_active and user.is_staff and user.has_perms(REQUIREMENT_PERMISSIONS)


DELIVERY_PERMISSIONS = ("grades.add_deliveryfact",)


def may_import_delivery(user) -> bool:
    """Whoever may add delivery facts in the admin (HR): the import adds them for many people at once."""
    return user.is_active and user.is_staff and user.has_perms(DELIVERY_PERMISSIONS)


SYNC_PERMISSIONS = PEOPLE_PERMISSIONS + ("grades.change_employee", "auth.change_user")


def may_sync_people(user) -> bool:
    """HR: a sync with the HR system's export also changes people here (names, e-mails,
    team leads) and marks leavers."""
    return user.is_active and user.is_staff and user.has_perms(SYNC_PERMISSIONS)
