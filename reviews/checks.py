"""System checks of the reviews app: the decision rule no longer comes from the environment."""

from django.core.checks import register

from grades.checks import retired_setting_warnings

RETIRED_SETTINGS = ("REVIEWS_DECISION_RULE",)


@register()
def check_retired_settings(app_configs=None, **kwargs):
    return retired_setting_warnings(
        RETIRED_SETTINGS,
        now="the committee's decision rule is the decision policy, in the admin under "
        "Reviews › Decision policy.",
        check_id="gradesys.W005",
    )
