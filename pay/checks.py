"""System checks of the pay app: the calculator's weights and rounding no longer come from the environment."""

from django.core.checks import register

from grades.checks import retired_setting_warnings

RETIRED_SETTINGS = (
    "PAY_WEIGHTS_MAIN_STEP",
    "PAY_WEIGHTS_INNER_JUNIOR",
    "PAY_WEIGHTS_INNER_MIDDLE",
    "PAY_WEIGHTS_INNER_SENIOR",
    "PAY_ROUND_TO",
)


@register()
def check_retired_settings(app_configs=None, **kwargs):
    return retired_setting_warnings(
        RETIRED_SETTINGS,
        now="the salary band calculator's weights and rounding are the pay policy, in the admin "
        "under Pay › Pay policy.",
        check_id="gradesys.W006",
    )
