from django import forms
from django.utils.translation import gettext_lazy as _

from . import csvfile
from .sync import DEFAULT_MAX_LEAVE_SHARE


class SpreadsheetUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 (Excel: “CSV UTF-8”), separated by ; or , — the first row names the columns. "
            "At most %(mb)s MB and %(rows)s rows."
        )
        % {"mb": csvfile.MAX_BYTES // (1024 * 1024), "rows": f"{csvfile.MAX_ROWS:,}"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > csvfile.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": csvfile.MAX_BYTES // (1024 * 1024)}
            )
        return upload


class PeopleUploadForm(SpreadsheetUploadForm):
    """The people upload, which is also where HR syncs with the HR system's export."""

    IMPORT, SYNC, FULL_SYNC = "import", "sync", "full"
    mode = forms.ChoiceField(
        label=_("What the file is"),
        choices=[
            (IMPORT, _("People to add: those already here are left as they are")),
            (SYNC, _("The HR system's export: add new people, update those here by their HR key")),
            (FULL_SYNC, _("The HR system's full export: as above, and mark everyone missing from it as leaving")),
        ],
        initial=IMPORT,
        required=False,
        widget=forms.RadioSelect,
    )
    allow_mass_leave = forms.BooleanField(
        label=_("Many people really left"),
        required=False,
        help_text=_(
            "A full sync that would mark more than %(share)s of the people as leaving is refused, "
            "in case the file is cut short, unless this is ticked."
        ),
    )

    def __init__(self, *args, may_sync: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allow_mass_leave"].help_text = self.fields["allow_mass_leave"].help_text % {
            "share": f"{DEFAULT_MAX_LEAVE_SHARE:.0%}"
        }
        if not may_sync:
            self.fields["mode"].choices = self.fields["mode"].choices[:1]

    def clean_mode(self):
        return self.cleaned_data.get("mode") or self.IMPORT
