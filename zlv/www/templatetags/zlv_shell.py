"""The page shell: header with main navigation, account menu and establishment switcher."""

from dataclasses import dataclass, field

from django import template
from django.conf import settings
from django.urls import reverse

from zlv.accounts.enums import Role
from zlv.accounts.selectors import memberships_of

register = template.Library()


@dataclass(frozen=True)
class NavigationItem:
    key: str
    label: str
    url_name: str = ""
    children: tuple["NavigationItem", ...] = field(default=())


NAVIGATION = (
    NavigationItem("parc", "Parc de logements", "housing_list"),
    NavigationItem("groupes", "Groupes", "group_list"),
    NavigationItem("campagnes", "Campagnes", "campaigns"),
    NavigationItem(
        "analyses",
        "Analyses",
        children=(
            NavigationItem("analyses-parc-vacant", "Parc vacant de votre territoire", "analyses_vacancy"),
            NavigationItem("analyses-lutte", "Vos suivis et campagnes", "analyses_follow_up"),
        ),
    ),
    NavigationItem("ressources", "Ressources", "resources"),
    NavigationItem("perimetres", "Périmètres", "perimeter_list"),
)


def _navigation_for(path: str) -> list[dict]:
    def entry(item: NavigationItem) -> dict:
        children = [entry(child) for child in item.children]
        url = reverse(item.url_name) if item.url_name else ""
        current = any(child["current"] for child in children) or bool(
            url and (path == url or path.startswith(url + "/"))
        )
        return {"key": item.key, "label": item.label, "url": url, "current": current, "children": children}

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
