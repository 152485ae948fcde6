"""Pieces of SQL shared by the set-based writers of events (import, bulk edit, groups, campaigns)."""

from django.db.models import QuerySet

from zlv.housing.models import Event

EVENT_TABLE = Event._meta.db_table
EVENT_COLUMNS = "(kind, housing_id, owner_id, old, new, created_at, created_by_id, import_run_id)"


def selection_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """SQL selecting the ids of a queryset, to embed in an INSERT … SELECT."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


def housing_events_sql(source: str) -> str:
    """INSERT of one dwelling event per `housing_id` returned by the CTE `source`.

    Parameters: kind, old (JSON text or None), new (JSON text or None), created_at, author id.
    """
    return (
        f"INSERT INTO {EVENT_TABLE} {EVENT_COLUMNS} "  # noqa: S608 — table and CTE names only
        f"SELECT %s, housing_id, NULL, %s::jsonb, %s::jsonb, %s, %s, NULL FROM {source}"
    )
