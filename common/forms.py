"""Form fields shared by the apps' forms."""

from __future__ import annotations

from django import forms


class ExactKeyChoiceField(forms.ModelChoiceField):
    """A choice of a row by its key that takes the key exactly as stored, letter case included.

    MariaDB compares text without regard to case or trailing spaces, so its lookup alone
    would take "BACKEND" or "backend " for the track "backend", which SQLite refuses: the
    same form would answer differently by database.
    """

    def to_python(self, value):
        chosen = super().to_python(value)
        if chosen is not None and not isinstance(value, self.queryset.model) and (
            str(getattr(chosen, self.to_field_name or "pk")) != str(value)
        ):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return chosen
