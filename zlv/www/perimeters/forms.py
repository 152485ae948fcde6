"""Forms of the perimeters pages: fields and DSFR attributes only; the writes are services."""

from django import forms

from zlv.www.team.forms import DsfrFieldsMixin

NAME_HELP = "Par défaut, la propriété « nom » de chaque polygone, sinon le nom du fichier."
KIND_HELP = (
    "Valeur proposée dans les filtres de périmètre du parc de logements. "
    "Par défaut, la propriété « type » de chaque polygone, sinon le nom saisi ci-dessus ou celui du fichier."
)


class PerimeterUploadForm(DsfrFieldsMixin, forms.Form):
    file = forms.FileField(
        label="Fichier du périmètre",
        help_text=(
            "Taille maximale : 100 Mo, 10 000 polygones. Formats acceptés : GeoJSON (.geojson, .json) "
            "ou shapefile zippé (.zip contenant les fichiers .shp, .shx, .dbf et .prj)."
        ),
        widget=forms.FileInput(attrs={"class": "fr-upload", "accept": ".zip,.geojson,.json"}),
        error_messages={
            "required": "Choisissez le fichier du périmètre.",
            "empty": "Le fichier est vide.",
            "invalid": "Choisissez un fichier.",
        },
    )
    name = forms.CharField(
        label="Nom (facultatif)",
        help_text=NAME_HELP,
        required=False,
        max_length=255,
        error_messages={"max_length": "Le nom ne peut pas dépasser 255 caractères."},
    )
    kind = forms.CharField(
        label="Type (facultatif)",
        help_text=KIND_HELP,
        required=False,
        max_length=255,
        error_messages={"max_length": "Le type ne peut pas dépasser 255 caractères."},
    )


class PerimeterEditForm(DsfrFieldsMixin, forms.Form):
    name = forms.CharField(
        label="Nom",
        max_length=255,
        error_messages={
            "required": "Saisissez le nom du périmètre.",
            "max_length": "Le nom ne peut pas dépasser 255 caractères.",
        },
    )
    kind = forms.CharField(
        label="Type",
        help_text="Valeur proposée dans les filtres de périmètre du parc de logements.",
        max_length=255,
        error_messages={
            "required": "Saisissez le type du périmètre.",
            "max_length": "Le type ne peut pas dépasser 255 caractères.",
        },
    )
