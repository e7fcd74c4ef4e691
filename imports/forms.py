from django import forms
from django.utils.translation import gettext_lazy as _

from . import csvfile


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
