"""Forms of the dwelling edit panel, the bulk edit and the notes (rendered by hand in DSFR markup)."""

import datetime
import json

from django import forms

from zlv.housing.enums import (
    READ_ONLY_OCCUPANCIES,
    SINGLE_CHOICE_PRECISION_CATEGORIES,
    SUB_STATUSES,
    EnergyClass,
    HousingStatus,
    Occupancy,
)
from zlv.housing.models import Precision
from zlv.housing.services import NOTE_MAX_LENGTH
from zlv.www.records.presenters import PRECISION_GROUPS

ALL_SUB_STATUSES = [(label, label) for labels in SUB_STATUSES.values() for label in labels]
WRITABLE_OCCUPANCIES = [
    (code, label) for code, label in Occupancy.choices if code not in READ_ONLY_OCCUPANCIES
]
SINGLE_PREFIX = "precision_"


def occupancy_choices(current: str = "") -> list[tuple[str, str]]:
    """Writable occupancies, plus the dwelling's current read-only one (it stays selectable as is)."""
    choices = list(WRITABLE_OCCUPANCIES)
    if current in READ_ONLY_OCCUPANCIES:
        choices.append((current, f"{Occupancy(current).label} (Fichiers fonciers)"))
    return choices


def precision_catalogue() -> list[Precision]:
    return list(Precision.objects.order_by("category", "order"))


def precision_sections(catalogue: list[Precision], selected_ids: set[int], *, add_only: bool = False) -> list:
    """Précisions grouped as on the record (Dispositifs, Points de blocage, Évolutions du logement):
    checkboxes for multi-choice categories, radio buttons for single-choice ones."""
    by_category: dict[str, list[Precision]] = {}
    for precision in catalogue:
        by_category.setdefault(precision.category, []).append(precision)
    sections = []
    for title, _empty, categories in PRECISION_GROUPS:
        sections.append(
            {
                "title": title,
                "slug": title.split()[0].lower().replace("é", "e"),
                "categories": [
                    {
                        "value": category.value,
                        "label": category.label,
                        "single": category in SINGLE_CHOICE_PRECISION_CATEGORIES,
                        "field": f"{SINGLE_PREFIX}{category.value}",
                        "none_checked": not any(p.pk in selected_ids for p in by_category.get(category, [])),
                        "options": [
                            {"id": p.pk, "label": p.label, "checked": p.pk in selected_ids}
                            for p in by_category.get(category, [])
                        ],
                    }
                    for category in categories
                ],
            }
        )
    return sections


class PrecisionFieldsMixin:
    """`precisions` (multi-choice checkboxes) and one radio group per single-choice category."""

    def add_precision_fields(self, catalogue: list[Precision]):
        multi = [
            (str(p.pk), p.label) for p in catalogue if p.category not in SINGLE_CHOICE_PRECISION_CATEGORIES
        ]
        self.fields["precisions"] = forms.MultipleChoiceField(choices=multi, required=False)
        for category in SINGLE_CHOICE_PRECISION_CATEGORIES:
            options = [(str(p.pk), p.label) for p in catalogue if p.category == category]
            self.fields[f"{SINGLE_PREFIX}{category.value}"] = forms.ChoiceField(
                choices=[("", "Aucune"), *options], required=False
            )

    def precision_ids(self) -> list[int]:
        ids = [int(value) for value in self.cleaned_data.get("precisions") or []]
        for category in SINGLE_CHOICE_PRECISION_CATEGORIES:
            value = self.cleaned_data.get(f"{SINGLE_PREFIX}{category.value}")
            if value:
                ids.append(int(value))
        return sorted(ids)


class HousingEditForm(PrecisionFieldsMixin, forms.Form):
    occupancy = forms.ChoiceField(
        label="Occupation actuelle", error_messages={"required": "Veuillez choisir l’occupation actuelle."}
    )
    occupancy_intended = forms.ChoiceField(label="Occupation prévisionnelle", required=False)
    actual_dpe = forms.ChoiceField(
        label="Étiquette DPE renseignée",
        required=False,
        choices=[("", "Pas d’information"), *EnergyClass.choices],
    )
    status = forms.TypedChoiceField(
        label="Statut de suivi",
        coerce=int,
        choices=HousingStatus.choices,
        error_messages={"required": "Veuillez choisir un statut de suivi."},
    )
    sub_status = forms.ChoiceField(label="Sous-statut de suivi", required=False, choices=ALL_SUB_STATUSES)
    note = forms.CharField(label="Nouvelle note", required=False, max_length=NOTE_MAX_LENGTH)
    # The values the form was loaded with (services.housing_snapshot), to detect concurrent edits.
    version = forms.CharField(required=False)

    def __init__(self, *args, housing, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupancy"].choices = occupancy_choices(housing.occupancy)
        self.fields["occupancy_intended"].choices = [
            ("", "Pas d’information"),
            *occupancy_choices(housing.occupancy_intended),
        ]
        self.add_precision_fields(catalogue)

    def clean_sub_status(self):
        # Validated against the status by the service; ignored when the status has none.
        return self.cleaned_data.get("sub_status") or ""

    def clean_version(self):
        raw = self.cleaned_data.get("version") or ""
        if not raw:
            return None
        try:
            version = json.loads(raw)
        except ValueError:
            return None
        return version if isinstance(version, dict) else None

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        status = data["status"]
        arguments = {
            "occupancy": data["occupancy"],
            "occupancy_intended": data["occupancy_intended"],
            "actual_dpe": data["actual_dpe"],
            "status": status,
            "precision_ids": self.precision_ids(),
            "expected_version": data["version"],
        }
        if SUB_STATUSES[status]:
            arguments["sub_status"] = data["sub_status"]
        return arguments


class BulkEditForm(PrecisionFieldsMixin, forms.Form):
    occupancy = forms.ChoiceField(
        label="Occupation actuelle", required=False, choices=[("", "Ne pas modifier"), *WRITABLE_OCCUPANCIES]
    )
    occupancy_intended = forms.ChoiceField(
        label="Occupation prévisionnelle",
        required=False,
        choices=[("", "Ne pas modifier"), *WRITABLE_OCCUPANCIES],
    )
    status = forms.TypedChoiceField(
        label="Statut de suivi",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Ne pas modifier"), *HousingStatus.choices],
    )
    sub_status = forms.ChoiceField(label="Sous-statut de suivi", required=False, choices=ALL_SUB_STATUSES)
    note = forms.CharField(
        label="Note à ajouter à chaque logement", required=False, max_length=NOTE_MAX_LENGTH
    )

    def __init__(self, *args, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_precision_fields(catalogue)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "occupancy": data["occupancy"],
            "occupancy_intended": data["occupancy_intended"],
            "precision_ids": self.precision_ids(),
            "note": data["note"],
        }
        if data["status"] is not None:
            arguments["status"] = data["status"]
            if SUB_STATUSES[data["status"]]:
                arguments["sub_status"] = data["sub_status"]
        elif data["sub_status"]:
            arguments["sub_status"] = data["sub_status"]
        return arguments


class NoteForm(forms.Form):
    content = forms.CharField(
        label="Contenu de la note",
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Veuillez saisir le contenu de la note.",
            "max_length": f"La note est limitée à {NOTE_MAX_LENGTH} caractères.",
        },
    )
    # The note's `updated_at` when the edit form was loaded (ISO 8601), to refuse overwriting a newer
    # version; absent from the creation form.
    version = forms.CharField(required=False)

    def clean_version(self) -> datetime.datetime | None:
        try:
            version = datetime.datetime.fromisoformat(self.cleaned_data.get("version") or "")
        except ValueError:
            return None
        return version if version.tzinfo is not None else None
