"""Team page (members, roles, invitations), invitation links and the user's own account page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zlv.accounts.decorators import establishment_admin_required
from zlv.accounts.enums import Role
from zlv.accounts.models import Invitation, Membership, User
from zlv.accounts.selectors import membership_of, memberships_of
from zlv.accounts.services import (
    InvitationError,
    SignInError,
    SignInLockedError,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_resend,
    invitation_revoke,
    member_remove,
    member_set_role,
    user_authenticate,
    user_change_password,
    user_update_profile,
)
from zlv.www.accounts.forms import INVALID_CREDENTIALS_MESSAGE, LOCKED_MESSAGE
from zlv.www.team.forms import (
    ConfirmPasswordForm,
    InvitationCreateForm,
    MemberRoleForm,
    NewAccountForm,
    PasswordChangeForm,
    ProfileForm,
)

TEAM_WRITE_DENIED_MESSAGE = "Seuls les administrateurs de la structure peuvent gérer son équipe."


team_admin_required = establishment_admin_required(TEAM_WRITE_DENIED_MESSAGE)


def member_or_404(user, membership_id: int) -> Membership:
    """A membership of the active establishment; any other establishment's is a 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "establishment"),
        pk=membership_id,
        establishment_id=user.active_establishment_id,
    )


def pending_invitation_or_404(user, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.pending().select_related("establishment"),
        pk=invitation_id,
        establishment_id=user.active_establishment_id,
    )


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# Team page


@require_safe
def team(request):
    return _render_team(request, InvitationCreateForm())


def _render_team(request, invitation_form):
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "team/no_establishment.html")
    establishment = membership.establishment
    is_admin = membership.role == Role.ADMIN
    members = (
        Membership.objects.filter(establishment=establishment)
        .select_related("user")
        .order_by(Lower("user__last_name"), Lower("user__first_name"), "user__email")
    )
    invitations = (
        Invitation.objects.pending()
        .filter(establishment=establishment)
        .select_related("invited_by")
        .order_by("-created_at")
        if is_admin
        else Invitation.objects.none()
    )
    context = {
        "establishment": establishment,
        "is_admin": is_admin,
        "members": list(members),
        "invitations": list(invitations),
        "invitation_form": invitation_form,
        "role_choices": Role.choices,
    }
    return render(request, "team/team.html", context)


@require_POST
@team_admin_required
def team_invite(request):
    form = InvitationCreateForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(
                establishment=request.user.active_establishment,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,
                site_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation envoyée à {invitation.email} (valable 7 jours).")
            _demo_mail_notice(request)
            return redirect("team")
    return _render_team(request, form)


def _demo_mail_notice(request):
    if settings.DEMO_MODE:
        messages.info(
            request,
            "Mode démonstration : l’e-mail n’est pas envoyé, il s’affiche dans la console du serveur.",
        )


@require_POST
@team_admin_required
def member_role(request, membership_id: int):
    membership = member_or_404(request.user, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez un rôle dans la liste.")
        return redirect("team")
    try:
        membership = member_set_role(membership=membership, role=form.cleaned_data["role"], by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Rôle de {membership.user.full_name} : {membership.get_role_display()}.")
    return redirect("team")


@require_http_methods(["GET", "HEAD", "POST"])
@team_admin_required
def member_remove_confirm(request, membership_id: int):
    """GET asks for confirmation; POST removes the member from the establishment."""
    membership = member_or_404(request.user, membership_id)
    is_self = membership.user_id == request.user.pk
    if request.method == "POST":
        try:
            member_remove(membership=membership, by=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return redirect("team")
        if is_self:
            messages.success(request, f"Vous ne faites plus partie de {membership.establishment.name}.")
            return redirect("housing_list")
        messages.success(
            request, f"{membership.user.full_name} ne fait plus partie de {membership.establishment.name}."
        )
        return redirect("team")
    return render(request, "team/member_remove.html", {"membership": membership, "is_self": is_self})


@require_POST
@team_admin_required
def invitation_resend_view(request, invitation_id: int):
    invitation = pending_invitation_or_404(request.user, invitation_id)
    try:
        invitation = invitation_resend(
            invitation=invitation, by=request.user, site_url=request.build_absolute_uri("/")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Nouvelle invitation envoyée à {invitation.email} (valable 7 jours).")
        _demo_mail_notice(request)
    return redirect("team")


@require_POST
@team_admin_required
def invitation_revoke_view(request, invitation_id: int):
    invitation = pending_invitation_or_404(request.user, invitation_id)
    try:
        invitation_revoke(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, f"L’invitation de {invitation.email} est annulée : son lien ne fonctionne plus."
        )
    return redirect("team")


# Invitation link (public: the person may have no account yet)

INVALID_LINK_STATUS = {"invalid": 404, "expired": 410, "revoked": 410, "used": 410}


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_page(request, token: str):
    """Shows the establishment; creates the account, or confirms the existing one, then joins."""
    try:
        invitation = invitation_from_token(token)
    except InvitationError as error:
        return _invalid_invitation(request, error)

    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email:
            return _render_invitation(request, invitation, "other_account")
        if request.method == "POST":
            return _accept(request, token, user=request.user)
        return _render_invitation(request, invitation, "join")

    if User.objects.filter(email__iexact=invitation.email).exists():
        form = ConfirmPasswordForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                user = user_authenticate(
                    request=request, email=invitation.email, password=form.cleaned_data["password"]
                )
            except SignInLockedError:
                form.add_error(None, LOCKED_MESSAGE.format(minutes=settings.SIGN_IN_LOCKOUT_MINUTES))
            except SignInError:
                form.add_error("password", INVALID_CREDENTIALS_MESSAGE)
            else:
                login(request, user)
                return _accept(request, token, user=user)
        return _render_invitation(request, invitation, "sign_in", form)

    form = NewAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            membership = invitation_accept(
                token=token,
                password=form.cleaned_data["new_password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
        except InvitationError as error:
            return _invalid_invitation(request, error)
        else:
            login(request, membership.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return _welcome(request, membership)
    return _render_invitation(request, invitation, "create", form)


def _accept(request, token: str, *, user: User):
    try:
        membership = invitation_accept(token=token, user=user)
    except InvitationError as error:
        return _invalid_invitation(request, error)
    return _welcome(request, membership)


def _welcome(request, membership: Membership):
    messages.success(
        request,
        f"Bienvenue dans l’équipe de {membership.establishment.name} "
        f"(rôle : {membership.get_role_display()}).",
    )
    return redirect("housing_list")


def _render_invitation(request, invitation: Invitation, mode: str, form=None):
    context = {"invitation": invitation, "mode": mode, "form": form}
    return render(request, "team/invitation.html", context)


def _invalid_invitation(request, error: InvitationError):
    if error.code == "account_exists":
        messages.info(request, error.message)
        return redirect(request.path)
    return render(
        request,
        "team/invitation_invalid.html",
        {"message": error.message},
        status=INVALID_LINK_STATUS.get(error.code, 410),
    )


# My account


@require_http_methods(["GET", "HEAD", "POST"])
def account(request):
    """Profile (first and last name); the password form posts to account_password."""
    profile_form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"first_name": request.user.first_name, "last_name": request.user.last_name},
    )
    if profile_form.is_valid():
        user_update_profile(
            user=request.user,
            first_name=profile_form.cleaned_data["first_name"],
            last_name=profile_form.cleaned_data["last_name"],
        )
        messages.success(request, "Votre profil est enregistré.")
        return redirect("account")
    return _render_account(request, profile_form, PasswordChangeForm())


@require_POST
def account_password(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user_change_password(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in on this device
            messages.success(request, "Votre mot de passe est modifié.")
            return redirect("account")
    profile_form = ProfileForm(
        initial={"first_name": request.user.first_name, "last_name": request.user.last_name}
    )
    return _render_account(request, profile_form, form)


def _render_account(request, profile_form, password_form):
    context = {
        "profile_form": profile_form,
        "password_form": password_form,
        "memberships": memberships_of(request.user),
    }
    return render(request, "team/account.html", context)
