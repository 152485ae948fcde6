"""The list selection carried in the query string (`housingIds`, `all` and the filters), shared by
the group, referent and export pages."""

from urllib.parse import urlencode

from django.urls import reverse

SELECTION_PARAMETERS = ("housingIds", "all")


def list_url(query) -> str:
    """The dwellings list with the same filters, without the selection."""
    params = [
        (key, value) for key in query for value in query.getlist(key) if key not in SELECTION_PARAMETERS
    ]
    return reverse("housing_list") + (f"?{urlencode(params)}" if params else "")


def count_label(count: int) -> str:
    formatted = f"{count:,}".replace(",", "\u202f")
    return f"{formatted} logement{'s' if count > 1 else ''}"


def query_string(query) -> str:
    """The request's query string as is (filters and selection), '' when there is none."""
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""
