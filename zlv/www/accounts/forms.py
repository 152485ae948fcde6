from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from zlv.accounts.services import SignInError, SignInLockedError, user_authenticate

INVALID_CREDENTIALS_MESSAGE = "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie et réessayez."
LOCKED_MESSAGE = (
    "Trop de tentatives de connexion ont échoué pour cette adresse e-mail. Par sécurité, la connexion "
    "est bloquée pendant {minutes} minutes. Réessayez plus tard."
)


class SignInForm(forms.Form):
    """E-mail + password; the same message whether the e-mail is unknown or the password wrong."""

    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Format attendu : nom@domaine.fr",
        max_length=254,
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "autofocus": True,
                "class": "fr-input",
                "aria-describedby": "id_email-messages",
            }
        ),
        error_messages={
            "required": "Saisissez votre adresse e-mail.",
            "invalid": "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr.",
        },
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "current-password",
                "class": "fr-password__input fr-input",
                "aria-describedby": "id_password-messages",
            }
        ),
        error_messages={"required": "Saisissez votre mot de passe."},
    )

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        email, password = cleaned_data.get("email"), cleaned_data.get("password")
        if email and password:
            try:
                self.user = user_authenticate(request=self.request, email=email, password=password)
            except SignInLockedError:
                raise forms.ValidationError(
                    LOCKED_MESSAGE.format(minutes=settings.SIGN_IN_LOCKOUT_MINUTES), code="locked"
                ) from None
            except SignInError:
                raise forms.ValidationError(INVALID_CREDENTIALS_MESSAGE, code="invalid_login") from None
        return cleaned_data

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"

    def get_user(self):
        return self.user


class PasswordChooseForm(SetPasswordForm):
    """Choose a password from an invitation or reset link (Django's validators, French messages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in (("new_password1", "Nouveau mot de passe"), ("new_password2", "Confirmation")):
            self.fields[name].label = label
            self.fields[name].widget.attrs.update(
                {
                    "class": "fr-input",
                    "autocomplete": "new-password",
                    "aria-describedby": f"id_{name}-messages",
                }
            )
        self.fields[
            "new_password1"
        ].help_text = "Au moins 12 caractères, ni trop courant, ni uniquement des chiffres."


class PasswordForgottenForm(PasswordResetForm):
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Format attendu : nom@domaine.fr",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "class": "fr-input", "aria-describedby": "id_email-messages"}
        ),
        error_messages={
            "required": "Saisissez votre adresse e-mail.",
            "invalid": "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr.",
        },
    )

    def get_users(self, email):
        """System accounts never receive a reset link."""
        return (user for user in super().get_users(email) if not user.is_system)
