"""Reads on establishments and users: who works where, with which role."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from zlv.accounts.enums import Role
from zlv.accounts.models import Membership, SignInFailure

WRITE_ROLES = frozenset({Role.USUAL, Role.ADMIN})


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their establishments, by establishment name (the switcher's list)."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user)
        .select_related("establishment")
        .order_by("establishment__name", "pk")
    )


def membership_of(user) -> Membership | None:
    """The membership for the user's active establishment, or None (anonymous, none chosen, not a member).

    Cached on the user object, which lives for one request.
    """
    if not user.is_authenticated or user.active_establishment_id is None:
        return None
    cached = getattr(user, "_active_membership_cache", None)
    if cached is not None and cached[0] == user.active_establishment_id:
        return cached[1]
    membership = (
        Membership.objects.filter(user=user, establishment_id=user.active_establishment_id)
        .select_related("establishment")
        .first()
    )
    user._active_membership_cache = (user.active_establishment_id, membership)
    return membership


def colleagues_among(user, user_ids) -> set[int]:
    """Those of these users who are members of the reader's active establishment (no query when
    there is nothing to check)."""
    membership = membership_of(user)
    user_ids = set(user_ids)
    if not user_ids or membership is None:
        return set()
    return set(
        Membership.objects.filter(
            establishment_id=membership.establishment_id, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    )


def role_of(user) -> Role | None:
    membership = membership_of(user)
    return Role(membership.role) if membership else None


def can_write(user) -> bool:
    """Usual users and admins of the active establishment may write; visitors only read."""
    return role_of(user) in WRITE_ROLES


def sign_in_failures_count(*, email: str) -> int:
    since = timezone.now() - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    return SignInFailure.objects.filter(email=email.strip().lower(), attempted_at__gte=since).count()


def sign_in_is_locked(*, email: str) -> bool:
    return sign_in_failures_count(email=email) >= settings.SIGN_IN_MAX_FAILURES
