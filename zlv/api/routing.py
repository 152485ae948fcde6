"""URL patterns of the ninja API: one Django pattern per HTTP path, whatever the router.

Ninja makes one pattern per router and path, and Django stops at the first pattern that matches:
`PATCH /housing/{id}` (write router) would meet the read router's `GET /housing/{id}` first and get
a 405, and `POST /housing/bulk-update` would be taken for a dwelling id.
"""

import re

from django.http import HttpResponseNotAllowed
from django.urls import URLPattern, path


def merge_routes(patterns: list[URLPattern]) -> list[URLPattern]:
    """Merge the patterns of one route into a view that tries each router's view until one accepts
    the method (a ninja view answers 405 before authenticating), and put literal routes first."""
    groups: dict[str, list[URLPattern]] = {}
    for pattern in patterns:
        # `<int:housing_id>` and `<housing_id>` are one route for the merge (ninja converts values).
        groups.setdefault(re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", str(pattern.pattern)), []).append(pattern)
    merged = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        view = _first_accepting([p.callback for p in group])
        merged.append(path(str(group[0].pattern), view, name=group[0].name))
        # Kept after it for reverse() only: never reached.
        merged.extend(group[1:])
    # Stable: among routes of the same shape, literal segments beat parameters.
    return sorted(merged, key=lambda pattern: str(pattern.pattern).count("<"))


def _first_accepting(views):
    def view(request, *args, **kwargs):
        response = None
        for candidate in views:
            response = candidate(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
        allowed = sorted({method for r in [response] if r for method in r["Allow"].split(", ")})
        return HttpResponseNotAllowed(allowed)

    view.csrf_exempt = True
    return view
