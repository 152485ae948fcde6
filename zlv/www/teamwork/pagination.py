"""Pages of the group and campaign tables (`?page=`), rendered by `includes/pagination.html`."""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """The page asked for: its number, the slice of rows it shows, and its DSFR links (None when all
    rows fit on one page)."""

    number: int
    start: int
    stop: int
    links: dict | None


def page_of(request, *, total: int, page_size: int, base: str) -> Page:
    """The page of `?page=`, kept within the existing pages; the first one when the value is not a number."""
    page_count = max(1, math.ceil(total / page_size))
    try:
        number = min(max(1, int(request.GET.get("page", "1"))), page_count)
    except ValueError:
        number = 1
    start = (number - 1) * page_size
    return Page(number=number, start=start, stop=start + page_size, links=_links(base, number, page_count))


def _links(base: str, current: int, page_count: int) -> dict | None:
    """The first, the last and two pages either side of the current one, with ellipses between."""
    if page_count <= 1:
        return None

    def link(number: int) -> str:
        return f"{base}?page={number}"

    shown = sorted({1, page_count, *range(max(1, current - 2), min(page_count, current + 2) + 1)})
    pages, previous = [], 0
    for number in shown:
        if number - previous > 1:
            pages.append({"ellipsis": True, "number": 0, "url": "", "current": False})
        pages.append({"ellipsis": False, "number": number, "url": link(number), "current": number == current})
        previous = number
    return {
        "pages": pages,
        "previous": link(current - 1) if current > 1 else "",
        "next": link(current + 1) if current < page_count else "",
    }
