from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation: `manage.py seed_demo` and the code behind it.

    Installed only when GRADESYS_DEMO is on (the default with DEBUG); it has no models.
    """

    name = "demo"
