"""Forms of the team and account pages: fields and DSFR attributes only; the writes are services."""

from django import forms

from zlv.accounts.enums import Role

EMAIL_ERRORS = {
    "required": "Saisissez l’adresse e-mail de la personne à inviter.",
    "invalid": "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr.",
}
VALIDATORS_HINT = "Au moins 12 caractères, ni trop courant, ni uniquement des chiffres."
MISMATCH_MESSAGE = "Les deux mots de passe ne correspondent pas."


class DsfrFieldsMixin:
    """DSFR classes, the id of the messages block under each field, aria-invalid on errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css_class = "fr-select" if isinstance(field.widget, forms.Select) else "fr-input"
            field.widget.attrs.setdefault("class", css_class)
            field.widget.attrs["aria-describedby"] = f"{self.auto_id % self.add_prefix(name)}-messages"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"


class InvitationCreateForm(DsfrFieldsMixin, forms.Form):
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Format attendu : nom@domaine.fr",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages=EMAIL_ERRORS,
    )
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        initial=Role.USUAL,
        error_messages={
            "required": "Choisissez un rôle.",
            "invalid_choice": "Choisissez un rôle dans la liste.",
        },
    )


class MemberRoleForm(forms.Form):
    """One select per row of the member table, written by hand in the template."""

    role = forms.ChoiceField(choices=Role.choices)


class NewAccountForm(DsfrFieldsMixin, forms.Form):
    """Accepting an invitation without an account: optional name, then the password."""

    first_name = forms.CharField(
        label="Prénom (facultatif)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Nom (facultatif)",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    new_password1 = forms.CharField(
        label="Mot de passe",
        help_text=VALIDATORS_HINT,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choisissez un mot de passe."},
    )
    new_password2 = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Saisissez à nouveau le mot de passe."},
    )

    def clean_new_password2(self):
        first, second = self.cleaned_data.get("new_password1"), self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError(MISMATCH_MESSAGE, code="password_mismatch")
        return second


class ConfirmPasswordForm(DsfrFieldsMixin, forms.Form):
    """Accepting an invitation with an existing account: the password confirms who is joining."""

    password = forms.CharField(
        label="Mot de passe de votre compte",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez votre mot de passe."},
    )


class ProfileForm(DsfrFieldsMixin, forms.Form):
    first_name = forms.CharField(
        label="Prénom",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Nom",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )


class PasswordChangeForm(DsfrFieldsMixin, forms.Form):
    current_password = forms.CharField(
        label="Mot de passe actuel",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez votre mot de passe actuel."},
    )
    new_password1 = forms.CharField(
        label="Nouveau mot de passe",
        help_text=VALIDATORS_HINT,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choisissez un nouveau mot de passe."},
    )
    new_password2 = forms.CharField(
        label="Confirmation du nouveau mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Saisissez à nouveau le nouveau mot de passe."},
    )

    def clean_new_password2(self):
        first, second = self.cleaned_data.get("new_password1"), self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError(MISMATCH_MESSAGE, code="password_mismatch")
        return second
