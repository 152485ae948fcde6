"""Forms of the group and referent pages: fields and DSFR attributes only; the writes are services."""

from django import forms

from zlv.teamwork.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH


class DsfrFieldsMixin:
    """DSFR classes, the id of the messages block under each field, error state and aria-invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css_class = "fr-select" if isinstance(field.widget, forms.Select) else "fr-input"
            field.widget.attrs.setdefault("class", css_class)
            field.widget.attrs["aria-describedby"] = f"{self.auto_id % self.add_prefix(name)}-messages"

    def full_clean(self):
        super().full_clean()
        self._mark_errors()

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """Show a service's refusal ({field or "__all__": message}) on the form."""
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)
        self._mark_errors()

    def _mark_errors(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                base = widget.attrs["class"].split()[0]
                widget.attrs["class"] = f"{base} {base}--error"
                widget.attrs["aria-invalid"] = "true"


class GroupForm(DsfrFieldsMixin, forms.Form):
    title = forms.CharField(
        label="Titre du groupe",
        max_length=TITLE_MAX_LENGTH,
        help_text=f"{TITLE_MAX_LENGTH} caractères au plus.",
        error_messages={
            "required": "Veuillez donner un titre au groupe.",
            "max_length": f"Le titre est limité à {TITLE_MAX_LENGTH} caractères.",
        },
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="Pourquoi ces logements sont réunis, ce que vous comptez en faire.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Veuillez décrire le groupe (par exemple : pourquoi ces logements).",
            "max_length": f"La description est limitée à {DESCRIPTION_MAX_LENGTH} caractères.",
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "groupe-%s")
        super().__init__(*args, **kwargs)


class GroupChoiceForm(DsfrFieldsMixin, forms.Form):
    group = forms.TypedChoiceField(
        label="Groupe",
        coerce=int,
        error_messages={
            "required": "Choisissez le groupe auquel ajouter les logements.",
            "invalid_choice": "Choisissez un groupe dans la liste.",
        },
    )

    def __init__(self, *args, groups, **kwargs):
        kwargs.setdefault("auto_id", "ajout-%s")
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "Sélectionnez un groupe")] + [
            (group.pk, group.title) for group in groups
        ]


class ReferentForm(DsfrFieldsMixin, forms.Form):
    referent = forms.TypedChoiceField(
        label="Agent référent",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Choisissez « Aucun » pour retirer l’agent référent des logements sélectionnés.",
        error_messages={"invalid_choice": "Choisissez un membre de votre structure dans la liste."},
    )

    def __init__(self, *args, candidates, **kwargs):
        kwargs.setdefault("auto_id", "referent-%s")
        super().__init__(*args, **kwargs)
        self.fields["referent"].choices = [("", "Aucun (retirer l’agent référent)")] + [
            (user.pk, user.full_name) for user in candidates
        ]
