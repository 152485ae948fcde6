"""Writes of the shared tracking tables: groups of dwellings and referent agents.

Each service checks that its author may write for the establishment, works set-based (one
INSERT … SELECT / DELETE … RETURNING whatever the size of the selection) and records the
`housing:group-*` events (DOMAIN §6, payload {"name": group title}) or `housing:referent-updated`
events in the same transaction.
"""

import json

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from zlv.accounts.decorators import WRITE_DENIED_MESSAGE
from zlv.accounts.models import Establishment, User
from zlv.accounts.selectors import can_write
from zlv.housing.enums import EventKind
from zlv.housing.event_payloads import owned_payload
from zlv.housing.event_sql import EVENT_COLUMNS, EVENT_TABLE, housing_events_sql, selection_sql
from zlv.teamwork.models import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Group,
    GroupHousing,
    HousingReferent,
)
from zlv.teamwork.selectors import SelectionError, is_member, selected_housing

GROUP_HOUSING = GroupHousing._meta.db_table
REFERENT = HousingReferent._meta.db_table
USER = User._meta.db_table


class GroupError(SelectionError):
    """A refused group change; `errors` maps a field (or "__all__") to a French message."""


class ReferentError(SelectionError):
    """A refused referent assignment."""


def check_author(establishment, by) -> None:
    """The author works for this establishment with a role that may write."""
    establishment_id = getattr(establishment, "pk", establishment)
    if by.active_establishment_id != establishment_id or not can_write(by):
        raise PermissionDenied(WRITE_DENIED_MESSAGE)


def _check_group(group: Group, by) -> None:
    check_author(group.establishment_id, by)
    if group.is_archived:
        raise GroupError({"__all__": "Ce groupe a été archivé : il ne peut plus être modifié."})


def _lock_group(group: Group) -> Group:
    """The group's row, locked until the end of the transaction (a concurrent deletion waits)."""
    locked = Group.objects.select_for_update().filter(pk=group.pk, archived_at__isnull=True).first()
    if locked is None:
        raise GroupError({"__all__": "Ce groupe a été supprimé ou archivé entre-temps."})
    return locked


def _clean_text(title: str, description: str) -> tuple[str, str]:
    title, description = (title or "").strip(), (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Veuillez donner un titre au groupe."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Le titre est limité à {TITLE_MAX_LENGTH} caractères."
    if not description:
        errors["description"] = "Veuillez décrire le groupe (par exemple : pourquoi ces logements)."
    elif len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"La description est limitée à {DESCRIPTION_MAX_LENGTH} caractères."
    if errors:
        raise GroupError(errors)
    return title, description


def _payload(group: Group) -> str:
    return json.dumps(owned_payload(group.establishment_id, name=group.title))


# ---- Groups ------------------------------------------------------------------------------------


def group_create(*, establishment, by, title: str, description: str, filters_or_ids) -> Group:
    """Create a group holding the selected dwellings of the author's perimeter (ids, or all matching
    the filters minus the excluded ids); one `housing:group-attached` event per dwelling."""
    check_author(establishment, by)
    title, description = _clean_text(title, description)
    queryset = selected_housing(by, filters_or_ids)
    with transaction.atomic():
        group = Group.objects.create(
            establishment_id=getattr(establishment, "pk", establishment),
            title=title,
            description=description,
            created_by=by,
        )
        added = _attach(group, queryset, by)
        if not added:
            raise GroupError({"__all__": "Aucun logement ne correspond à la sélection."})
    return group


def group_add_housing(*, group: Group, by, filters_or_ids) -> int:
    """Add the selected dwellings to the group (those already in it are left as they are); returns
    the number added."""
    _check_group(group, by)
    queryset = selected_housing(by, filters_or_ids)
    with transaction.atomic():
        return _attach(_lock_group(group), queryset, by)


def _attach(group: Group, queryset: QuerySet, by) -> int:
    ids_sql, ids_params = selection_sql(queryset)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH added AS (
                INSERT INTO {GROUP_HOUSING} (group_id, housing_id, added_by_id, added_at)
                SELECT %s, selection.id, %s, %s FROM ({ids_sql}) AS selection (id)
                ON CONFLICT (group_id, housing_id) DO NOTHING
                RETURNING housing_id
            )
            {housing_events_sql("added")}
            """,  # noqa: S608 — `ids_sql` is Django's own compiled query; values are parameters
            (
                group.pk,
                by.pk,
                now,
                *ids_params,
                EventKind.HOUSING_GROUP_ATTACHED,
                None,
                _payload(group),
                now,
                by.pk,
            ),
        )
        return cursor.rowcount


def group_remove_housing(*, group: Group, by, filters_or_ids) -> int:
    """Take the selected dwellings out of the group; returns the number removed."""
    _check_group(group, by)
    queryset = selected_housing(by, filters_or_ids)
    ids_sql, ids_params = selection_sql(queryset)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        group = _lock_group(group)
        cursor.execute(
            f"""
            WITH removed AS (
                DELETE FROM {GROUP_HOUSING}
                WHERE group_id = %s AND housing_id IN ({ids_sql})
                RETURNING housing_id
            )
            {housing_events_sql("removed")}
            """,  # noqa: S608 — see _attach
            (group.pk, *ids_params, EventKind.HOUSING_GROUP_DETACHED, _payload(group), None, now, by.pk),
        )
        return cursor.rowcount


def group_rename(*, group: Group, by, title: str, description: str) -> Group:
    """Change the title and the description of a group."""
    _check_group(group, by)
    title, description = _clean_text(title, description)
    with transaction.atomic():
        _lock_group(group)
        group.title, group.description = title, description
        group.save(update_fields=["title", "description"])
    return group


def group_has_campaigns(group: Group) -> bool:
    """Whether a campaign was created from the group (it must then be archived, not deleted)."""
    from zlv.campaigns.models import Campaign

    return Campaign.objects.filter(group=group).exists()


def group_delete(*, group: Group, by) -> str:
    """Delete a group, or archive it when a campaign was made from it; returns "archived" or
    "removed". Each of its dwellings records `housing:group-archived` / `housing:group-removed`."""
    _check_group(group, by)
    now = timezone.now()
    with transaction.atomic():
        group = _lock_group(group)
        archive = group_has_campaigns(group)
        kind = EventKind.HOUSING_GROUP_ARCHIVED if archive else EventKind.HOUSING_GROUP_REMOVED
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH members AS (SELECT housing_id FROM {GROUP_HOUSING} WHERE group_id = %s)
                {housing_events_sql("members")}
                """,  # noqa: S608 — table names only
                (group.pk, kind, _payload(group), None, now, by.pk),
            )
        if archive:
            group.archived_at = now
            group.save(update_fields=["archived_at"])
            return "archived"
        group.delete()
    return "removed"


# ---- Referents ---------------------------------------------------------------------------------


# `housing:referent-updated` payloads: {"referent": agent's name, "establishment": its name}, or
# NULL on the side where the dwelling had (or keeps) no referent. Names, not ids: the history must
# read the same once the agent has left. One parameter: the establishment's name.
REFERENT_PAYLOAD_SQL = (
    "CASE WHEN {user}.id IS NULL THEN NULL ELSE jsonb_build_object("
    "'referent', COALESCE(NULLIF(btrim({user}.first_name || ' ' || {user}.last_name), ''), {user}.email), "
    "'establishment', %s::text) END"
)


def _establishment_name(establishment_id: int) -> str:
    return Establishment.objects.values_list("name", flat=True).get(pk=establishment_id)


def referent_assign(*, establishment, user_filters_selection, referent, by) -> int:
    """Make `referent` the agent following the selected dwellings of the author's perimeter for this
    establishment (replacing any other referent); returns the number of dwellings whose referent changed.

    The referent must be a member of the establishment. Each change records a
    `housing:referent-updated` event (former → new referent) in the same statement.
    """
    check_author(establishment, by)
    establishment_id = getattr(establishment, "pk", establishment)
    referent_id = getattr(referent, "pk", referent)
    if referent_id is None or not is_member(referent_id, establishment_id):
        raise ReferentError({"referent": "L’agent référent doit être membre de votre structure."})
    queryset = selected_housing(by, user_filters_selection)
    ids_sql, ids_params = selection_sql(queryset)
    name = _establishment_name(establishment_id)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The selection's current referents, locked: the `old` side of the events below is the one
        # replaced (a concurrent assignment of the same dwellings waits for this transaction).
        cursor.execute(
            f"""
            SELECT 1 FROM {REFERENT}
             WHERE establishment_id = %s AND housing_id IN ({ids_sql})
             ORDER BY housing_id FOR UPDATE
            """,  # noqa: S608 — see _attach
            (establishment_id, *ids_params),
        )
        cursor.execute(
            f"""
            WITH selection (id) AS ({ids_sql}),
            previous AS (
                SELECT housing_id, user_id FROM {REFERENT}
                 WHERE establishment_id = %s AND housing_id IN (SELECT id FROM selection)
            ), assigned AS (
                INSERT INTO {REFERENT} (establishment_id, housing_id, user_id, assigned_by_id, assigned_at)
                SELECT %s, id, %s, %s, %s FROM selection
                ON CONFLICT (establishment_id, housing_id) DO UPDATE
                    SET user_id = EXCLUDED.user_id,
                        assigned_by_id = EXCLUDED.assigned_by_id,
                        assigned_at = EXCLUDED.assigned_at
                    WHERE {REFERENT}.user_id <> EXCLUDED.user_id
                RETURNING housing_id
            )
            INSERT INTO {EVENT_TABLE} {EVENT_COLUMNS}
            SELECT %s, assigned.housing_id, NULL, {REFERENT_PAYLOAD_SQL.format(user="former")},
                   {REFERENT_PAYLOAD_SQL.format(user="chosen")}, %s, %s, NULL
              FROM assigned
              LEFT JOIN previous USING (housing_id)
              LEFT JOIN {USER} former ON former.id = previous.user_id
              JOIN {USER} chosen ON chosen.id = %s
            """,  # noqa: S608 — see _attach
            (
                *ids_params,
                establishment_id,
                establishment_id,
                referent_id,
                by.pk,
                now,
                EventKind.HOUSING_REFERENT_UPDATED,
                name,
                name,
                now,
                by.pk,
                referent_id,
            ),
        )
        return cursor.rowcount


def referent_clear(*, establishment, user_filters_selection, by) -> int:
    """Remove the referent of the selected dwellings for this establishment; returns how many had one.
    Each records a `housing:referent-updated` event (former referent → none)."""
    check_author(establishment, by)
    establishment_id = getattr(establishment, "pk", establishment)
    queryset = selected_housing(by, user_filters_selection)
    ids_sql, ids_params = selection_sql(queryset)
    name = _establishment_name(establishment_id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH cleared AS (
                DELETE FROM {REFERENT}
                 WHERE establishment_id = %s AND housing_id IN ({ids_sql})
                RETURNING housing_id, user_id
            )
            INSERT INTO {EVENT_TABLE} {EVENT_COLUMNS}
            SELECT %s, cleared.housing_id, NULL, {REFERENT_PAYLOAD_SQL.format(user="former")}, NULL,
                   %s, %s, NULL
              FROM cleared JOIN {USER} former ON former.id = cleared.user_id
            """,  # noqa: S608 — see _attach
            (establishment_id, *ids_params, EventKind.HOUSING_REFERENT_UPDATED, name, timezone.now(), by.pk),
        )
        return cursor.rowcount
