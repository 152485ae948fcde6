"""Writes on establishments and users."""

from django.conf import settings

from zlv.accounts.models import User


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
