"""Accent- and case-insensitive text matching that PostgreSQL can serve from a trigram index.

`unaccent()` is not IMMUTABLE, so it cannot be indexed; migration 0004 declares an immutable
wrapper `zlv_unaccent` and indexes `upper(zlv_unaccent(column))`. The `searchable` transform
produces exactly that expression, so `owner__full_name__searchable__contains=searchable_text(q)`
uses the index.
"""

import unicodedata

from django.db.models import CharField, Transform


class Searchable(Transform):
    lookup_name = "searchable"
    template = "upper(zlv_unaccent(%(expressions)s))"


def searchable_text(text: str) -> str:
    """The Python twin of the SQL expression: no accents, upper case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).upper()


def register() -> None:
    CharField.register_lookup(Searchable)
