"""Who may see salary bands: one rule for the ladder page, the admin and the reports.

PAY_BANDS_VISIBLE_TO is a deployment setting: "hr" shows the bands to HR (and
superusers) only, "everyone" to every signed-in person. Bands are ranges per level,
never anyone's own pay (the product keeps none).
"""

from __future__ import annotations

from django.conf import settings

from grades.policies import is_hr


def may_see_bands(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if settings.PAY_BANDS_VISIBLE_TO == "everyone":
        return True
    return is_hr(user)
