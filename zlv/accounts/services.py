"""Writes on establishments and users."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from zlv.accounts.enums import EstablishmentKind, Role
from zlv.accounts.models import Establishment, Invitation, Membership, SignInFailure, User
from zlv.accounts.selectors import sign_in_failures_count
from zlv.geo.models import Commune, Department, Epci
from zlv.geo.selectors import communes_of_territory
from zlv.utils.tokens import hash_token, new_token


class SignInError(Exception):
    """The e-mail/password pair was refused (unknown e-mail, wrong password, account not allowed)."""


class SignInLockedError(SignInError):
    """Too many recent failures for this e-mail: refused whatever the password."""


def system_user() -> User:
    """The account automatic changes (imports…) are attributed to; it cannot sign in."""
    user, created = User.objects.get_or_create(
        email=settings.SYSTEM_USER_EMAIL,
        defaults={"first_name": "Zéro Logement Vacant", "last_name": "(automatique)", "is_system": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def establishment_for_territory(*, territory: str, name: str = "", is_demo: bool = False) -> Establishment:
    """Create (or find) the establishment of a commune, an EPCI or a département, with its perimeter."""
    code = territory.strip().upper()
    communes = list(communes_of_territory(code).values_list("code", flat=True))
    kind, default_name, siren = _describe_territory(code)
    lookup = {"siren": siren} if siren else {"name": name or default_name}
    with transaction.atomic():
        establishment, _ = Establishment.objects.get_or_create(
            **lookup,
            defaults={"name": name or default_name, "kind": kind, "siren": siren, "is_demo": is_demo},
        )
        establishment.communes.set(communes)
    return establishment


def _describe_territory(code: str) -> tuple[str, str, str | None]:
    """(kind, default name, SIREN) of a territory code already validated by communes_of_territory."""
    if len(code) == 9 and code.isdigit():
        epci = Epci.objects.get(siren=code)
        return epci.kind, epci.name, epci.siren
    if len(code) == 5:
        commune = Commune.objects.get(code=code)
        kind = EstablishmentKind.COM_TOM if code.startswith("97") else EstablishmentKind.COM
        return kind, f"Commune {_of(commune.name)}", None
    department = Department.objects.get(code=code.zfill(2) if code.isdigit() else code)
    return EstablishmentKind.DEP, f"{department.name} (département)", None


def _of(name: str) -> str:
    """French 'de'/'d’' before a place name: 'de Douai', 'd’Ajaccio'."""
    return f"d’{name}" if name[:1].upper() in "AEIOUYÉÈÊÎÔ" else f"de {name}"


def member_add(*, establishment: Establishment, email: str, role: str, password: str | None = None) -> User:
    """Add a user (created if needed, without a usable password unless given) to an establishment."""
    if role not in Role.values:
        raise ValueError(f"Rôle inconnu : {role} (attendu : {', '.join(Role.values)}).")
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.update_or_create(user=user, establishment=establishment, defaults={"role": role})
        if user.active_establishment_id is None:
            user.active_establishment = establishment
            user.save(update_fields=["active_establishment"])
    return user


def password_setup_path(user: User) -> str:
    """Path of the signed, expiring link that lets a new user choose a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("password_choose", kwargs={"uidb64": uid, "token": token})


def absolute_url(path: str, *, site_url: str = "") -> str:
    """`path` on the service's address: `site_url` (a request's own, "https://zlv.example/") or, outside
    a request (commands, tasks), settings.SITE_URL."""
    return (site_url or settings.SITE_URL).rstrip("/") + path


def password_setup_send(*, user: User, establishment: Establishment, site_url: str = "") -> str:
    """E-mail a new member the link to choose their password (on settings.SITE_URL unless `site_url`:
    this runs outside a request); returns the link."""
    link = absolute_url(password_setup_path(user), site_url=site_url)
    context = {
        "establishment": establishment,
        "link": link,
        "validity_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600),
    }
    send_mail(
        subject=render_to_string("accounts/password_setup_subject.txt", context).strip(),
        message=render_to_string("accounts/password_setup_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return link


def user_authenticate(*, request: HttpRequest, email: str, password: str) -> User:
    """Check credentials with a per-e-mail lockout; raise SignInError or SignInLockedError.

    The lockout counts failures per typed e-mail whether or not an account exists, so neither the
    messages nor the lock reveal which e-mails have accounts.
    """
    email = email.strip().lower()
    recent_failures = sign_in_failures_count(email=email)
    if recent_failures >= settings.SIGN_IN_MAX_FAILURES:
        raise SignInLockedError
    user = authenticate(request, username=email, password=password)
    if user is None:
        with transaction.atomic():
            now = timezone.now()
            # Keep the table small: older failures no longer count.
            SignInFailure.objects.filter(email=email, attempted_at__lt=now - timedelta(days=1)).delete()
            SignInFailure.objects.create(email=email, ip_address=_client_ip(request), attempted_at=now)
        if recent_failures + 1 >= settings.SIGN_IN_MAX_FAILURES:
            raise SignInLockedError
        raise SignInError
    SignInFailure.objects.filter(email=email).delete()
    return user


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def user_ensure_active_establishment(*, user: User) -> User:
    """After sign-in: work for the first establishment (by name) when none, or no longer a member."""
    memberships = Membership.objects.filter(user=user).order_by("establishment__name", "pk")
    if (
        user.active_establishment_id
        and memberships.filter(establishment_id=user.active_establishment_id).exists()
    ):
        return user
    first = memberships.first()
    new_establishment_id = first.establishment_id if first else None
    if new_establishment_id != user.active_establishment_id:
        user.active_establishment_id = new_establishment_id
        user.save(update_fields=["active_establishment"])
    return user


def user_switch_establishment(*, user: User, establishment: Establishment) -> User:
    """Make `establishment` the one the user works for; only among their memberships."""
    if not Membership.objects.filter(user=user, establishment=establishment).exists():
        raise PermissionDenied("Vous n'êtes pas membre de cette structure.")
    user.active_establishment = establishment
    user.save(update_fields=["active_establishment"])
    return user


# Team: invitations, roles, removal, profile.

INVITATION_VALIDITY = timedelta(days=7)
_INVITATION_SALT = "zlv.accounts.invitation"
INVALID_INVITATION_MESSAGE = (
    "Ce lien d’invitation n’est pas valide. Vérifiez qu’il a été copié en entier depuis l’e-mail."
)
LAST_ADMIN_MESSAGE = (
    "La structure doit garder au moins un administrateur : nommez d’abord un autre administrateur."
)


class InvitationError(Exception):
    """The invitation link cannot be used; the message (French) tells the person why."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _ensure_team_admin(*, user: User, establishment: Establishment) -> None:
    """Only the establishment's admins (and ZLV superusers) manage its team."""
    if user.is_superuser:
        return
    if not Membership.objects.filter(user=user, establishment=establishment, role=Role.ADMIN).exists():
        raise PermissionDenied("Seuls les administrateurs de la structure peuvent gérer son équipe.")


def _ensure_an_admin_remains(*, establishment: Establishment, leaving: Membership) -> None:
    """Refuse to demote or remove the last admin; locks the admins so two admins cannot both leave."""
    admin_ids = list(
        Membership.objects.select_for_update()
        .filter(establishment=establishment, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if admin_ids == [leaving.pk]:
        raise ValidationError(LAST_ADMIN_MESSAGE, code="last_admin")


def invitation_path(secret: str) -> str:
    """Path of the invitation link: the random secret whose hash the invitation stores, signed with
    a timestamp so that the link also expires by itself."""
    token = signing.dumps(secret, salt=_INVITATION_SALT, compress=True)
    return reverse("invitation_accept", kwargs={"token": token})


def invitation_create(
    *, establishment: Establishment, email: str, role: str, by: User, site_url: str = ""
) -> Invitation:
    """Invite an e-mail address to the establishment (replacing its pending invitation) and e-mail the link.

    `site_url` ("https://zlv.example/", the request's) makes the link absolute; settings.SITE_URL
    outside a request.
    """
    _ensure_team_admin(user=by, establishment=establishment)
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": "Choisissez un rôle dans la liste."})
    if email == settings.SYSTEM_USER_EMAIL:
        raise ValidationError({"email": "Cette adresse e-mail ne peut pas être invitée."})
    if Membership.objects.filter(establishment=establishment, user__email__iexact=email).exists():
        raise ValidationError({"email": "Cette personne est déjà membre de la structure."})
    now = timezone.now()
    with transaction.atomic():
        # Locked so that two admins inviting the same address at once do not both create one.
        pending = list(
            Invitation.objects.select_for_update().pending().filter(establishment=establishment, email=email)
        )
        for previous in pending:
            previous.revoked_at = now
            previous.save(update_fields=["revoked_at"])
        secret = new_token()
        invitation = Invitation.objects.create(
            establishment=establishment,
            email=email,
            role=role,
            invited_by=by,
            created_at=now,
            expires_at=now + INVITATION_VALIDITY,
            token_hash=hash_token(secret),
        )
        link = absolute_url(invitation_path(secret), site_url=site_url)
        transaction.on_commit(lambda: _invitation_send(invitation=invitation, link=link), robust=True)
    return invitation


def _invitation_send(*, invitation: Invitation, link: str) -> None:
    context = {
        "establishment": invitation.establishment,
        "invited_by": invitation.invited_by,
        "role": invitation.get_role_display(),
        "link": link,
        "expires_at": invitation.expires_at,
    }
    send_mail(
        subject=render_to_string("team/invitation_subject.txt", context).strip(),
        message=render_to_string("team/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation of a link, or InvitationError (tampered, expired, revoked, already used)."""
    try:
        secret = signing.loads(token, salt=_INVITATION_SALT, max_age=INVITATION_VALIDITY)
    except signing.SignatureExpired:
        raise InvitationError(
            "Ce lien d’invitation a expiré : il n’est valable que 7 jours.", code="expired"
        ) from None
    except signing.BadSignature:
        raise InvitationError(INVALID_INVITATION_MESSAGE, code="invalid") from None
    invitation = (
        Invitation.objects.select_related("establishment", "invited_by")
        .filter(token_hash=hash_token(secret))
        .first()
        if isinstance(secret, str)  # not a link of the former scheme (a signed id)
        else None
    )
    if invitation is None:
        raise InvitationError(INVALID_INVITATION_MESSAGE, code="invalid")
    _ensure_pending(invitation)
    return invitation


def _ensure_pending(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationError("Cette invitation n’existe plus.", code="invalid")
    if invitation.accepted_at is not None:
        raise InvitationError(
            "Cette invitation a déjà été utilisée. Connectez-vous avec votre adresse e-mail "
            "et votre mot de passe.",
            code="used",
        )
    if invitation.revoked_at is not None:
        raise InvitationError(
            "Cette invitation a été annulée ou remplacée par une invitation plus récente.", code="revoked"
        )
    if invitation.is_expired:
        raise InvitationError("Ce lien d’invitation a expiré : il n’est valable que 7 jours.", code="expired")


def invitation_accept(
    *,
    token: str,
    password: str | None = None,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Accept an invitation: as the signed-in `user` owning the invited e-mail, or by creating the
    account with `password`. The establishment becomes the one the user works for."""
    invitation_id = invitation_from_token(token).pk
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("establishment")
            .filter(pk=invitation_id)
            .first()
        )
        _ensure_pending(invitation)  # again, under the lock: the link is single-use.
        if user is not None:
            if user.email.lower() != invitation.email:
                raise PermissionDenied("Cette invitation est adressée à une autre adresse e-mail.")
        else:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationError(
                    "Un compte existe déjà pour cette adresse e-mail : connectez-vous pour accepter "
                    "l’invitation.",
                    code="account_exists",
                )
            user = User(email=invitation.email, first_name=first_name.strip(), last_name=last_name.strip())
            password_validation.validate_password(password or "", user)
            user.set_password(password)
            user.save()
        membership, _ = Membership.objects.update_or_create(
            user=user, establishment=invitation.establishment, defaults={"role": invitation.role}
        )
        user.active_establishment = invitation.establishment
        user.save(update_fields=["active_establishment"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
    return membership


def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Cancel a pending invitation: its link stops working."""
    _ensure_team_admin(user=by, establishment=invitation.establishment)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise ValidationError("Cette invitation a déjà été acceptée.", code="accepted")
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_resend(*, invitation: Invitation, by: User, site_url: str = "") -> Invitation:
    """A new invitation (new link, new 7-day validity) replacing this pending one."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError("Cette invitation n’est plus en attente.", code="not_pending")
    return invitation_create(
        establishment=invitation.establishment,
        email=invitation.email,
        role=invitation.role,
        by=by,
        site_url=site_url,
    )


def member_set_role(*, membership: Membership, role: str, by: User) -> Membership:
    """Change a member's role; the establishment always keeps at least one admin."""
    _ensure_team_admin(user=by, establishment=membership.establishment)
    if role not in Role.values:
        raise ValidationError("Choisissez un rôle dans la liste.", code="invalid_role")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == role:
            return membership
        if membership.role == Role.ADMIN:
            _ensure_an_admin_remains(establishment=membership.establishment, leaving=membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, membership: Membership, by: User) -> None:
    """Remove a member from the establishment (the account stays); never its last admin."""
    _ensure_team_admin(user=by, establishment=membership.establishment)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if membership.role == Role.ADMIN:
            _ensure_an_admin_remains(establishment=membership.establishment, leaving=membership)
        user = membership.user
        membership.delete()
        # They no longer work for it: fall back to another of their establishments, or none.
        user_ensure_active_establishment(user=user)


def user_update_profile(*, user: User, first_name: str, last_name: str) -> User:
    """Name shown to colleagues; the e-mail (the login) cannot be changed here."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    return user


def user_change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Check the current password, then Django's validators; errors are keyed by form field."""
    if not user.check_password(current_password):
        raise ValidationError(
            {"current_password": ValidationError("Mot de passe actuel incorrect.", code="password_incorrect")}
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.error_list}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user
