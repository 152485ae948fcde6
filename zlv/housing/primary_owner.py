"""Copies of a dwelling's rights onto the dwelling row: the primary owner and what filters read of it.

Counting the distinct primary owners of a selection is the list's hottest query: with the owner's
id on the dwelling row, counts by status and distinct owners read one covering index
(geo_code, status, primary_owner) instead of joining every dwelling of the perimeter with its
rights. The owner filters (kind, age, multi-owner, location, number of owners) read the other
copies on the same row instead of joining 200 000 dwellings with their owners.

`housing_owner` and `owner` stay the truth. Every write of ranks calls `primary_owner_refresh`
with the dwellings; every change of an owner's kind, birth date or multi-owner flag calls it with
the owners. The LOVAC import fills the copies as it inserts dwellings and refreshes the rest
(zlv/lovac/merge.py).
"""

from collections.abc import Iterable

from django.db import connection

from zlv.housing.models import Housing, HousingOwner, Owner

HOUSING = Housing._meta.db_table
LINK = HousingOwner._meta.db_table
OWNER = Owner._meta.db_table

COPIES = (
    "primary_owner_id",
    "primary_owner_kind",
    "primary_owner_birth_date",
    "primary_owner_multi",
    "primary_owner_location",
    "owner_count",
    "primary_owner_search_name",
)

# The copies, computed from the rights and owners of the dwellings selected by `{condition}`
# (alias h2), in the order of COPIES.
RIGHTS_SUMMARY_SQL = f"""
    SELECT r.id, r.owner_id, COALESCE(o.kind, ''), o.birth_date, COALESCE(o.is_multi_owner, false),
           r.location, r.active, COALESCE(upper(zlv_unaccent(o.full_name)), '')
      FROM (SELECT h2.id,
                   max(ho.owner_id) FILTER (WHERE ho.rank = 1) AS owner_id,
                   max(ho.locprop_source) FILTER (WHERE ho.rank = 1) AS location,
                   count(ho.id) FILTER (WHERE ho.rank >= 1) AS active
              FROM {HOUSING} h2
              LEFT JOIN {LINK} ho ON ho.housing_id = h2.id
             WHERE {{condition}}
             GROUP BY h2.id) r
      LEFT JOIN {OWNER} o ON o.id = r.owner_id
"""  # noqa: S608 — table names from the models

# Dwellings whose primary owner is one of the owners in `%s` (read through the (owner, rank) index).
OF_PRIMARY_OWNERS = f"h2.id IN (SELECT housing_id FROM {LINK} WHERE owner_id = ANY(%s) AND rank = 1)"  # noqa: S608


def primary_owner_refresh(
    *, housing_ids: Iterable[int] | None = None, owner_ids: Iterable[int] | None = None
) -> int:
    """Refresh the copies of the given dwellings, or of the dwellings whose primary owner is in
    `owner_ids`; returns the number of rows changed."""
    if housing_ids is not None:
        condition, parameter = "h2.id = ANY(%s)", list(housing_ids)
    elif owner_ids is not None:
        condition, parameter = OF_PRIMARY_OWNERS, list(owner_ids)
    else:
        raise ValueError("housing_ids ou owner_ids est requis.")
    if not parameter:
        return 0
    with connection.cursor() as cursor:
        return rights_summary_refresh(cursor, condition, [parameter])


def rights_summary_refresh(cursor, condition: str, parameters: list) -> int:
    """Rewrite the copies of the dwellings matching `condition` (on alias h2) where they differ."""
    columns = ", ".join(COPIES)
    cursor.execute(
        f"""
        UPDATE {HOUSING} h SET ({columns}) = (sub.{", sub.".join(COPIES)})
          FROM ({RIGHTS_SUMMARY_SQL.format(condition=condition)}) sub (id, {columns})
         WHERE h.id = sub.id
           AND (h.{", h.".join(COPIES)}) IS DISTINCT FROM (sub.{", sub.".join(COPIES)})
        """,  # noqa: S608 — table and column names from this module, values as parameters
        parameters,
    )
    return cursor.rowcount
