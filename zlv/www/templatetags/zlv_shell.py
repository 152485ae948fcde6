"""The page shell: header with main navigation, account menu and establishment switcher."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import reverse

from zlv.accounts.enums import Role
from zlv.accounts.selectors import memberships_of

register = template.Library()


@dataclass(frozen=True)
class NavigationItem:
    label: str
    url_name: str


# Only sections that work: an entry joins the menu with its capability, never before it.
NAVIGATION = (
    NavigationItem("Parc de logements", "housing_list"),
    NavigationItem("Groupes", "group_list"),
    NavigationItem("Campagnes", "campaigns"),
    NavigationItem("Périmètres", "perimeter_list"),
)


def _navigation_for(path: str) -> list[dict]:
    def entry(item: NavigationItem) -> dict:
        url = reverse(item.url_name)
        return {"label": item.label, "url": url, "current": path == url or path.startswith(url + "/")}

    return [entry(item) for item in NAVIGATION]


@register.inclusion_tag("includes/header.html", takes_context=True)
def zlv_header(context) -> dict:
    """One query for a signed-in user (their memberships); none for anonymous visitors."""
    request = context["request"]
    user = request.user if request.user.is_authenticated else None
    memberships = memberships_of(user) if user else []
    active = next(
        (m for m in memberships if user and m.establishment_id == user.active_establishment_id), None
    )
    return {
        "user": user,
        "active_membership": active,
        "is_establishment_admin": bool(active and active.role == Role.ADMIN),
        "other_memberships": [m for m in memberships if m is not active],
        "navigation": _navigation_for(request.path) if user else [],
        "feedback_url": settings.FEEDBACK_URL,
        "show_sign_in_link": user is None and request.path != reverse("sign_in"),
    }
