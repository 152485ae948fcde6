"""Copies of a dwelling's rights onto the dwelling row: primary owner, its location, owner count.

Counting the distinct primary owners of a selection is the list's hottest query: with the owner's
id on the dwelling row, counts by status and distinct owners read one covering index
(geo_code, status, primary_owner) instead of joining every dwelling of the perimeter with its
rights. The owner filters "Lieu de résidence" and "Nombre de propriétaires" read the other two
copies the same way. `housing_owner` stays the truth: every write of ranks calls
`primary_owner_refresh`, and the LOVAC import fills the copies as it inserts dwellings.
"""

from collections.abc import Iterable

from django.db import connection

from zlv.housing.models import Housing, HousingOwner

HOUSING = Housing._meta.db_table
LINK = HousingOwner._meta.db_table

# The copies, computed from the rights of the dwellings selected by `{condition}` (alias h2).
RIGHTS_SUMMARY_SQL = f"""
    SELECT h2.id,
           max(ho.owner_id) FILTER (WHERE ho.rank = 1) AS owner_id,
           max(ho.locprop_source) FILTER (WHERE ho.rank = 1) AS location,
           count(ho.id) FILTER (WHERE ho.rank >= 1) AS active
      FROM {HOUSING} h2
      LEFT JOIN {LINK} ho ON ho.housing_id = h2.id
     WHERE {{condition}}
     GROUP BY h2.id
"""  # noqa: S608 — table names from the models


def primary_owner_refresh(
    *, housing_ids: Iterable[int] | None = None, geo_codes: Iterable[str] | None = None
) -> int:
    """Refresh the copies of the given dwellings (or those of `geo_codes`); returns rows changed."""
    if housing_ids is not None:
        condition, parameter = "h2.id = ANY(%s)", list(housing_ids)
    elif geo_codes is not None:
        condition, parameter = "h2.geo_code = ANY(%s)", list(geo_codes)
    else:
        raise ValueError("housing_ids ou geo_codes est requis.")
    with connection.cursor() as cursor:
        return rights_summary_refresh(cursor, condition, [parameter])


def rights_summary_refresh(cursor, condition: str, parameters: list) -> int:
    """Rewrite the copies of the dwellings matching `condition` (on alias h2) where they differ."""
    cursor.execute(
        f"""
        UPDATE {HOUSING} h
           SET primary_owner_id = sub.owner_id, primary_owner_location = sub.location,
               owner_count = sub.active
          FROM ({RIGHTS_SUMMARY_SQL.format(condition=condition)}) sub
         WHERE h.id = sub.id
           AND (h.primary_owner_id, h.primary_owner_location, h.owner_count)
               IS DISTINCT FROM (sub.owner_id, sub.location, sub.active)
        """,  # noqa: S608 — table names from the models, values as parameters
        parameters,
    )
    return cursor.rowcount
