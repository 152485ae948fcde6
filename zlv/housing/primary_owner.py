"""The primary owner (rank 1) copied onto each dwelling.

Counting the distinct primary owners of a selection is the list's hottest query: with the owner's
id on the dwelling row, counts by status and distinct owners read one covering index
(geo_code, status, primary_owner) instead of joining every dwelling of the perimeter with its
rights. `housing_owner` stays the truth; every write of ranks calls `primary_owner_refresh`.
"""

from collections.abc import Iterable

from django.db import connection

from zlv.housing.models import Housing, HousingOwner


def primary_owner_refresh(
    *, housing_ids: Iterable[int] | None = None, geo_codes: Iterable[str] | None = None
) -> int:
    """Copy the rank-1 owner onto the given dwellings (or those of `geo_codes`); returns rows changed."""
    if housing_ids is not None:
        condition, parameter = "h2.id = ANY(%s)", list(housing_ids)
    elif geo_codes is not None:
        condition, parameter = "h2.geo_code = ANY(%s)", list(geo_codes)
    else:
        raise ValueError("housing_ids ou geo_codes est requis.")
    housing, link = Housing._meta.db_table, HousingOwner._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {housing} h SET primary_owner_id = sub.owner_id
              FROM (SELECT h2.id, ho.owner_id
                      FROM {housing} h2
                      LEFT JOIN {link} ho ON ho.housing_id = h2.id AND ho.rank = 1
                     WHERE {condition}) sub
             WHERE h.id = sub.id AND h.primary_owner_id IS DISTINCT FROM sub.owner_id
            """,  # noqa: S608 — table names from the models, values as parameters
            [parameter],
        )
        return cursor.rowcount
