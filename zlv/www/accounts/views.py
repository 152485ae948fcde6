from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import (
    LoginView,
    LogoutView,
    PasswordResetConfirmView,
    PasswordResetView,
    redirect_to_login,
)
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST, require_safe

from zlv.accounts.models import Membership
from zlv.accounts.services import user_ensure_active_establishment, user_switch_establishment
from zlv.www.accounts.forms import PasswordChooseForm, PasswordForgottenForm, SignInForm


class SignInView(LoginView):
    """`next` is honoured only for same-site URLs (LoginView checks the host and scheme)."""

    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user_ensure_active_establishment(user=form.get_user())
        return super().form_valid(form)


class SignOutView(LogoutView):
    """POST only (LogoutView refuses GET with 405)."""

    next_page = "sign_in"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "Vous êtes déconnecté(e).")
        return response


@require_POST
def switch_establishment(request):
    """Work for another of one's establishments; any other establishment is a 404."""
    try:
        establishment_id = int(request.POST.get("establishment", ""))
    except ValueError:
        raise Http404("Structure inconnue.") from None
    membership = get_object_or_404(
        Membership.objects.select_related("establishment"),
        user=request.user,
        establishment_id=establishment_id,
    )
    user_switch_establishment(user=request.user, establishment=membership.establishment)
    messages.success(request, f"Vous travaillez maintenant pour {membership.establishment.name}.")
    return redirect("housing_list")


@require_safe
@login_not_required
def admin_sign_in(request):
    """The admin signs in through /connexion too, so the brute-force lockout covers it."""
    if request.user.is_authenticated:
        # Signed in but not staff: sending them to /connexion would loop back here.
        raise PermissionDenied("Réservé à l'équipe de Zéro Logement Vacant.")
    return redirect_to_login(request.GET.get("next", "/admin/"))


@method_decorator(login_not_required, name="dispatch")
class PasswordChooseView(PasswordResetConfirmView):
    """Invitation and reset links: signed, expiring (PASSWORD_RESET_TIMEOUT), single use."""

    form_class = PasswordChooseForm
    template_name = "accounts/password_choose.html"
    post_reset_login = False
    success_url = reverse_lazy("sign_in")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe est enregistré. Vous pouvez vous connecter.")
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordForgottenView(PasswordResetView):
    """Same answer whether the address has an account or not (no account enumeration)."""

    form_class = PasswordForgottenForm
    template_name = "accounts/password_forgotten.html"
    email_template_name = "accounts/password_forgotten_email.txt"
    subject_template_name = "accounts/password_forgotten_subject.txt"
    success_url = reverse_lazy("sign_in")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé avec un lien "
            "pour choisir un nouveau mot de passe (valable 3 jours).",
        )
        return response
