"""Writes of campaigns (DOMAIN §3.8).

A campaign is created from a group: the group's dwellings in the author's perimeter are copied
into it (a snapshot). When its sending date has come, its dwellings still "Non suivi" move to
"En attente de retour", once, attributed to the system account (at once when the date is already
past, else by the daily `flip_sent_campaigns` run). Every change to a campaign's dwellings records
`housing:campaign-*` events (payload {"name": campaign title}) in the same statement. A dwelling
that this automatic move left "En attente de retour" goes back to "Non suivi" when the campaign
no longer holds it (or is postponed) and no other sent campaign does; a status an agent chose is
never undone.
"""

import datetime
import json

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from zlv.accounts.services import system_user
from zlv.campaigns.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Campaign, CampaignHousing
from zlv.housing.enums import EventKind, HousingStatus
from zlv.housing.event_payloads import owned_payload
from zlv.housing.event_sql import EVENT_TABLE, housing_events_sql, selection_sql
from zlv.housing.models import Housing
from zlv.teamwork.models import Group
from zlv.teamwork.selectors import SelectionError, group_housing
from zlv.teamwork.services import check_author

CAMPAIGN_HOUSING = CampaignHousing._meta.db_table
CAMPAIGN = Campaign._meta.db_table
HOUSING = Housing._meta.db_table
NEVER_CONTACTED = HousingStatus.NEVER_CONTACTED.value
WAITING = HousingStatus.WAITING.value
NEVER_CONTACTED_PAYLOAD = json.dumps({"status": HousingStatus.NEVER_CONTACTED.label, "subStatus": None})
WAITING_PAYLOAD = json.dumps({"status": HousingStatus.WAITING.label, "subStatus": None})


class CampaignError(SelectionError):
    """A refused campaign change; `errors` maps a field (or "__all__") to a French message."""


def _clean(title: str, description: str) -> tuple[str, str]:
    title, description = (title or "").strip(), (description or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Veuillez donner un titre à la campagne."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"Le titre est limité à {TITLE_MAX_LENGTH} caractères."
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"La description est limitée à {DESCRIPTION_MAX_LENGTH} caractères."
    if errors:
        raise CampaignError(errors)
    return title, description


def _payload(campaign: Campaign) -> str:
    return json.dumps(owned_payload(campaign.establishment_id, name=campaign.title))


def _lock(campaign: Campaign) -> Campaign:
    """The campaign's row, locked until the end of the transaction."""
    locked = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if locked is None:
        raise CampaignError({"__all__": "Cette campagne a été supprimée entre-temps."})
    return locked


# ---- Status changes brought by campaigns -------------------------------------------------------


def _flip_to_waiting(campaign_ids: list[int], now: datetime.datetime) -> int:
    """Move the campaigns' "Non suivi" dwellings to "En attente de retour" (system account) and
    mark the campaigns flipped; returns the number of dwellings moved."""
    if not campaign_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH flipped AS (
                UPDATE {HOUSING} SET status = %s, sub_status = '', updated_at = %s
                 WHERE status = %s
                   AND id IN (SELECT housing_id FROM {CAMPAIGN_HOUSING} WHERE campaign_id = ANY(%s))
                RETURNING id AS housing_id
            )
            {housing_events_sql("flipped")}
            """,  # noqa: S608 — table names only
            (
                WAITING,
                now,
                NEVER_CONTACTED,
                campaign_ids,
                EventKind.HOUSING_STATUS_UPDATED,
                NEVER_CONTACTED_PAYLOAD,
                WAITING_PAYLOAD,
                now,
                system_user().pk,
            ),
        )
        moved = cursor.rowcount
    Campaign.objects.filter(pk__in=campaign_ids).update(flipped_at=now)
    return moved


def _back_to_never_contacted(candidates_sql: str, params: tuple, by, now: datetime.datetime) -> int:
    """Move the candidate dwellings still "En attente de retour" back to "Non suivi"; returns how many.

    `candidates_sql` selects dwelling ids; the status change is an event by `by`.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH reset AS (
                UPDATE {HOUSING} SET status = %s, sub_status = '', updated_at = %s
                 WHERE status = %s AND id IN ({candidates_sql})
                RETURNING id AS housing_id
            )
            {housing_events_sql("reset")}
            """,  # noqa: S608 — `candidates_sql` is built here from table names
            (
                NEVER_CONTACTED,
                now,
                WAITING,
                *params,
                EventKind.HOUSING_STATUS_UPDATED,
                WAITING_PAYLOAD,
                NEVER_CONTACTED_PAYLOAD,
                now,
                by.pk,
            ),
        )
        return cursor.rowcount


def _undo_flip(
    campaign: Campaign, by, now: datetime.datetime, *, housing_filter: str = "", filter_params: tuple = ()
) -> int:
    """Undo the campaign's automatic move to "En attente de retour" (sending date postponed, campaign
    deleted, dwellings taken out of it): back to "Non suivi" go the campaign's dwellings (narrowed
    by `housing_filter` on `link`) whose last status change is still that automatic move and that
    no other sent campaign holds. A status an agent chose is never undone."""
    candidates = (
        f"SELECT link.housing_id FROM {CAMPAIGN_HOUSING} link "  # noqa: S608 — table names and our own filter
        f"WHERE link.campaign_id = %s {housing_filter} "
        f"AND (SELECT event.created_by_id FROM {EVENT_TABLE} event "
        "      WHERE event.housing_id = link.housing_id AND event.kind = %s "
        "      ORDER BY event.created_at DESC, event.id DESC LIMIT 1) = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {CAMPAIGN_HOUSING} other JOIN {CAMPAIGN} sent "
        "      ON sent.id = other.campaign_id "
        "      WHERE other.housing_id = link.housing_id AND other.campaign_id <> link.campaign_id "
        "        AND sent.sent_at <= %s)"
    )
    params = (
        campaign.pk,
        *filter_params,
        EventKind.HOUSING_STATUS_UPDATED,
        system_user().pk,
        timezone.localdate(),
    )
    return _back_to_never_contacted(candidates, params, by, now)


# ---- Campaigns ---------------------------------------------------------------------------------


def campaign_create(
    *, group: Group, by, title: str, description: str = "", sent_at: datetime.date | None = None
) -> Campaign:
    """Create a campaign from a group: its dwellings in the author's perimeter are copied into it,
    each recording `housing:campaign-attached`. A sending date already come flips them at once."""
    check_author(group.establishment_id, by)
    title, description = _clean(title, description)
    now = timezone.now()
    with transaction.atomic():
        locked_group = Group.objects.select_for_update().filter(pk=group.pk, archived_at__isnull=True).first()
        if locked_group is None:
            raise CampaignError({"__all__": "Ce groupe a été supprimé ou archivé entre-temps."})
        campaign = Campaign.objects.create(
            establishment_id=locked_group.establishment_id,
            group=locked_group,
            title=title,
            description=description,
            sent_at=sent_at,
            created_by=by,
            created_at=now,
        )
        members_sql, members_params = selection_sql(group_housing(by, locked_group))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH added AS (
                    INSERT INTO {CAMPAIGN_HOUSING} (campaign_id, housing_id, added_at)
                    SELECT %s, members.id, %s FROM ({members_sql}) AS members (id)
                    RETURNING housing_id
                )
                {housing_events_sql("added")}
                """,  # noqa: S608 — `members_sql` is Django's own compiled query
                (
                    campaign.pk,
                    now,
                    *members_params,
                    EventKind.HOUSING_CAMPAIGN_ATTACHED,
                    None,
                    _payload(campaign),
                    now,
                    by.pk,
                ),
            )
            if not cursor.rowcount:
                raise CampaignError({"__all__": "Ce groupe ne contient aucun logement de votre périmètre."})
        if campaign.is_sent():
            _flip_to_waiting([campaign.pk], now)
            campaign.flipped_at = now
    return campaign


def campaign_update(
    *, campaign: Campaign, by, title: str, description: str, sent_at: datetime.date | None
) -> Campaign:
    """Change a campaign's title, description and sending date.

    A sending date cannot be removed once set. When it comes (today or earlier) the campaign's
    "Non suivi" dwellings move to "En attente de retour"; postponing it to a later day undoes that
    move where nobody has changed the dwelling since.
    """
    check_author(campaign.establishment_id, by)
    title, description = _clean(title, description)
    now, today = timezone.now(), timezone.localdate()
    with transaction.atomic():
        current = _lock(campaign)
        if current.sent_at is not None and sent_at is None:
            raise CampaignError({"sent_at": "La date d’envoi ne peut pas être retirée une fois indiquée."})
        was_flipped = current.flipped_at is not None
        current.title, current.description, current.sent_at = title, description, sent_at
        current.save(update_fields=["title", "description", "sent_at"])
        if current.is_sent(today) and not was_flipped:
            _flip_to_waiting([current.pk], now)
            current.flipped_at = now
        elif was_flipped and not current.is_sent(today):
            _undo_flip(current, by, now)
            current.flipped_at = None
            current.save(update_fields=["flipped_at"])
    return current


def campaign_remove_housing(*, campaign: Campaign, by, housing_ids) -> int:
    """Take dwellings out of a campaign ("Supprimer le destinataire"); returns how many left it.

    Only dwellings of the author's perimeter count. Each records `housing:campaign-detached`; those
    the campaign moved to "En attente de retour" go back to "Non suivi" (see _undo_flip).
    """
    check_author(campaign.establishment_id, by)
    ids = sorted({int(pk) for pk in housing_ids})
    if not ids:  # `pk__in=[]` compiles to no SQL at all (EmptyResultSet)
        return 0
    visible_sql, visible_params = selection_sql(Housing.objects.visible_to(by).filter(pk__in=ids))
    now = timezone.now()
    with transaction.atomic():
        current = _lock(campaign)
        if current.flipped_at is not None:
            _undo_flip(
                current,
                by,
                now,
                housing_filter=f"AND link.housing_id IN ({visible_sql})",
                filter_params=visible_params,
            )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH removed AS (
                    DELETE FROM {CAMPAIGN_HOUSING}
                     WHERE campaign_id = %s AND housing_id IN ({visible_sql})
                    RETURNING housing_id
                )
                {housing_events_sql("removed")}
                """,  # noqa: S608 — see campaign_create
                (
                    current.pk,
                    *visible_params,
                    EventKind.HOUSING_CAMPAIGN_DETACHED,
                    _payload(current),
                    None,
                    now,
                    by.pk,
                ),
            )
            return cursor.rowcount


def campaign_delete(*, campaign: Campaign, by) -> int:
    """Delete a campaign; returns the number of dwellings it held. Each records
    `housing:campaign-removed`; those it moved to "En attente de retour" go back to "Non suivi"
    (see _undo_flip)."""
    check_author(campaign.establishment_id, by)
    now = timezone.now()
    with transaction.atomic():
        current = _lock(campaign)
        if current.flipped_at is not None:
            _undo_flip(current, by, now)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH members AS (SELECT housing_id FROM {CAMPAIGN_HOUSING} WHERE campaign_id = %s)
                {housing_events_sql("members")}
                """,  # noqa: S608 — table names only
                (current.pk, EventKind.HOUSING_CAMPAIGN_REMOVED, _payload(current), None, now, by.pk),
            )
            count = cursor.rowcount
        current.delete()
    return count


def campaigns_flip_due(*, today: datetime.date | None = None) -> tuple[int, int]:
    """The daily run: flip the dwellings of every campaign whose sending date has come and that was
    not flipped yet; returns (campaigns, dwellings moved)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        due: QuerySet = Campaign.objects.select_for_update(skip_locked=True).filter(
            sent_at__lte=today, flipped_at__isnull=True
        )
        ids = list(due.values_list("pk", flat=True))
        return len(ids), _flip_to_waiting(ids, timezone.now())
