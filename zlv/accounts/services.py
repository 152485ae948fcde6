"""Writes on establishments and users."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from zlv.accounts.enums import EstablishmentKind, Role
from zlv.accounts.models import Establishment, Membership, SignInFailure, User
from zlv.accounts.selectors import sign_in_failures_count
from zlv.geo.models import Commune, Department, Epci
from zlv.geo.selectors import communes_of_territory


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
