from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("Where the token is used, e.g. “HR system sync”."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
