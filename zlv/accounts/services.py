"""Writes on establishments and users."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from zlv.accounts.enums import EstablishmentKind, Role
from zlv.accounts.models import Establishment, Membership, User
from zlv.geo.models import Commune, Department, Epci
from zlv.geo.selectors import communes_of_territory


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
    return f"/mot-de-passe/definir/{uid}/{token}"
