from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST, require_safe

from zlv.accounts.models import Membership
from zlv.accounts.services import user_ensure_active_establishment, user_switch_establishment
from zlv.www.accounts.forms import SignInForm


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
