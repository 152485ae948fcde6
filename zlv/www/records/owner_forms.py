"""Forms of the owners editing (rendered by hand in DSFR markup); rules live in owner_services."""

from django import forms

from zlv.housing.enums import OwnerKind
from zlv.housing.owner_services import RANK_CHOICE_LABELS

RANK_CHOICES = [(str(int(rank)), label) for rank, label in RANK_CHOICE_LABELS.items()]


class PostalAddressFields(forms.Form):
    """The owner's postal address, typed by an agent (checked by owner_services)."""

    postal_address_line = forms.CharField(label="Numéro et voie", required=False, max_length=300)
    postal_code = forms.CharField(label="Code postal", required=False, max_length=10)
    postal_city = forms.CharField(label="Commune", required=False, max_length=100)


class OwnerContactForm(PostalAddressFields):
    email = forms.CharField(label="Adresse e-mail", required=False, max_length=254)
    phone = forms.CharField(label="Numéro de téléphone", required=False, max_length=30)
    additional_address = forms.CharField(label="Complément d’adresse", required=False, max_length=300)
    do_not_contact = forms.BooleanField(label="Ne pas contacter ce propriétaire", required=False)


class OwnerAttachForm(forms.Form):
    owner_id = forms.IntegerField(error_messages={"required": "Veuillez choisir un propriétaire."})
    rank = forms.TypedChoiceField(
        label="Rang",
        coerce=int,
        choices=RANK_CHOICES,
        error_messages={"required": "Veuillez choisir un rang."},
    )
    q = forms.CharField(required=False)


class OwnerCreateForm(PostalAddressFields):
    full_name = forms.CharField(
        label="Nom et prénom",
        max_length=300,
        error_messages={"required": "Veuillez saisir le nom et le prénom du propriétaire."},
    )
    birth_date = forms.DateField(
        label="Date de naissance",
        required=False,
        error_messages={"invalid": "Saisissez une date valide, par exemple 14/07/1960."},
    )
    kind = forms.ChoiceField(
        label="Type de propriétaire", required=False, choices=[("", "Pas d’information"), *OwnerKind.choices]
    )
    additional_address = forms.CharField(label="Complément d’adresse", required=False, max_length=300)
    email = forms.CharField(label="Adresse e-mail", required=False, max_length=254)
    phone = forms.CharField(label="Numéro de téléphone", required=False, max_length=30)
    rank = forms.TypedChoiceField(
        label="Rang",
        coerce=int,
        choices=RANK_CHOICES,
        error_messages={"required": "Veuillez choisir un rang."},
    )
