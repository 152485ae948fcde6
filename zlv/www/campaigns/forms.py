"""Forms of the campaign pages: fields and DSFR attributes only; the writes are services."""

import re

from django import forms

from zlv.campaigns.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from zlv.www.teamwork.forms import DsfrFieldsMixin

# The browser's date picker sends ISO dates; a date typed by hand may be jj/mm/aaaa.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
HOUSING_ID = re.compile(r"[0-9]{1,18}")


class CampaignForm(DsfrFieldsMixin, forms.Form):
    title = forms.CharField(
        label="Titre de la campagne",
        max_length=TITLE_MAX_LENGTH,
        help_text=f"{TITLE_MAX_LENGTH} caractères au plus.",
        error_messages={
            "required": "Veuillez donner un titre à la campagne.",
            "max_length": f"Le titre est limité à {TITLE_MAX_LENGTH} caractères.",
        },
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="L’objet du courrier, les logements visés, ce que vous en attendez.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"La description est limitée à {DESCRIPTION_MAX_LENGTH} caractères."},
    )
    sent_at = forms.DateField(
        label="Date d’envoi",
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        help_text="Format attendu : jj/mm/aaaa. Laissez vide tant que les courriers ne sont pas partis.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide, au format jj/mm/aaaa."},
    )

    def __init__(self, *args, sent_at_help: str = "", **kwargs):
        kwargs.setdefault("auto_id", "campagne-%s")
        super().__init__(*args, **kwargs)
        if sent_at_help:
            self.fields["sent_at"].help_text = sent_at_help


def housing_ids(values) -> list[int]:
    """The dwelling ids posted or linked as `housingIds` (malformed values are left out)."""
    return sorted({int(value) for value in values if HOUSING_ID.fullmatch(value)})
