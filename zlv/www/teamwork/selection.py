"""The list selection carried in the query string (`housingIds`, `all` and the filters), shared by
the group, referent and export pages, and the labels these pages and the campaign pages show."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from zlv.utils.numbers import count_phrase

SELECTION_PARAMETERS = ("housingIds", "all")


def list_url(query) -> str:
    """The dwellings list with the same filters, without the selection."""
    params = [
        (key, value) for key in query for value in query.getlist(key) if key not in SELECTION_PARAMETERS
    ]
    return reverse("housing_list") + (f"?{urlencode(params)}" if params else "")


def count_label(count: int) -> str:
    return count_phrase(count, "logement", "logements")


def owners_label(count: int) -> str:
    return count_phrase(count, "propriétaire", "propriétaires")


def created_label(item, *, feminine: bool = False) -> str:
    """'Créé le 3 mars 2026 par Camille Martin' for a group, 'Créée …' for a campaign (`feminine`)."""
    when = date_format(timezone.localtime(item.created_at), "j F Y")
    return f"Créé{'e' if feminine else ''} le {when} par {item.created_by.full_name}"


def query_string(query) -> str:
    """The request's query string as is (filters and selection), '' when there is none."""
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""
