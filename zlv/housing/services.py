"""Writes on dwellings: follow-up edits of one dwelling or of a selection, précisions and notes.

Rules are those of DOMAIN.md §1.3–1.5; every change records its events (§6, values stored as French
labels) in the transaction that makes it.
"""

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from zlv.accounts.enums import Role
from zlv.accounts.models import Membership
from zlv.housing.enums import (
    READ_ONLY_OCCUPANCIES,
    SINGLE_CHOICE_PRECISION_CATEGORIES,
    SUB_STATUSES,
    EnergyClass,
    EventKind,
    HousingStatus,
    Occupancy,
    PrecisionCategory,
)
from zlv.housing.event_sql import EVENT_COLUMNS
from zlv.housing.filters import HousingFilters
from zlv.housing.models import (
    BulkUpdateJob,
    BulkUpdateJobStatus,
    Event,
    Housing,
    HousingPrecision,
    Note,
    Precision,
)
from zlv.housing.selectors import filtered_housing

logger = logging.getLogger(__name__)


class _Unset:
    """Marks an argument that was not given (None or "" are real values: "no sub-status")."""

    def __repr__(self):
        return "UNSET"

    def __bool__(self):
        return False


UNSET: Any = _Unset()

# Above this many dwellings a bulk edit runs in the task worker, with a progress page.
BULK_SYNC_LIMIT = 1000
# Dwellings per transaction in the background: each chunk commits, so progress shows.
BULK_CHUNK_SIZE = 2000
NOTE_MAX_LENGTH = 10_000

FIELD_LABELS = {
    "status": "Le statut de suivi",
    "sub_status": "Le sous-statut",
    "occupancy": "L’occupation actuelle",
    "occupancy_intended": "L’occupation prévisionnelle",
    "actual_dpe": "L’étiquette DPE renseignée",
    "precision_ids": "Les précisions",
}


class HousingUpdateError(Exception):
    """Refused change; `errors` maps a field name (or "__all__") to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class HousingUpdateForbiddenError(HousingUpdateError):
    """A bulk edit that would undo the follow-up of dwellings already contacted in a campaign."""


class HousingConflictError(HousingUpdateError):
    """Fields another user changed since the caller read them (`errors`: field → why); nothing saved."""

    def summary(self) -> str:
        names = ", ".join(_lower_first(FIELD_LABELS[name]) for name in self.errors)
        return (
            f"Ce logement a été modifié par une autre personne depuis votre lecture ({names}) : "
            "rien n’a été enregistré. Relisez le logement puis renvoyez vos modifications."
        )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass
class HousingUpdateResult:
    housing: Housing
    # Field groups saved: "status", "occupancy", "actual_dpe", "precisions".
    changed: list[str] = field(default_factory=list)
    # Fields another user changed since the form was loaded: left as they are, with the reason.
    conflicts: dict[str, str] = field(default_factory=dict)


@dataclass
class BulkUpdateOutcome:
    count: int
    job: BulkUpdateJob | None = None


# ---- Labels stored in events -------------------------------------------------------------------


def status_label(status: int) -> str:
    return HousingStatus(status).label


def occupancy_label(code: str) -> str | None:
    if not code:
        return None
    return Occupancy(code).label if code in Occupancy.values else code


def category_label(category: str) -> str:
    return PrecisionCategory(category).label if category in PrecisionCategory.values else category


def _status_payload(status: int, sub_status: str) -> dict:
    return {"status": status_label(status), "subStatus": sub_status or None}


def _occupancy_payload(occupancy: str, occupancy_intended: str) -> dict:
    return {"occupancy": occupancy_label(occupancy), "occupancyIntended": occupancy_label(occupancy_intended)}


def _precision_payload(precision: Precision) -> dict:
    return {"category": category_label(precision.category), "label": precision.label}


# ---- Validation shared by the single and the bulk edit ----------------------------------------


def _check_status(status) -> int:
    try:
        status = int(status)
    except (TypeError, ValueError):
        raise HousingUpdateError({"status": "Statut de suivi inconnu."}) from None
    if status not in HousingStatus.values:
        raise HousingUpdateError({"status": "Statut de suivi inconnu."})
    return status


def _check_sub_status(status: int, sub_status: str, *, explicit: bool) -> str:
    """The sub-status to store with `status`; an empty one where the status has none."""
    allowed = SUB_STATUSES[status]
    sub_status = (sub_status or "").strip()
    if not allowed:
        if sub_status and explicit:
            raise HousingUpdateError(
                {"sub_status": f"Le statut « {status_label(status)} » n’a pas de sous-statut."}
            )
        return ""
    if not sub_status:
        raise HousingUpdateError(
            {"sub_status": f"Veuillez choisir un sous-statut pour le statut « {status_label(status)} »."}
        )
    if sub_status not in allowed:
        raise HousingUpdateError(
            {
                "sub_status": f"Le sous-statut « {sub_status} » ne correspond pas au statut "
                f"« {status_label(status)} »."
            }
        )
    return sub_status


def _check_occupancy(name: str, code, *, required: bool) -> str:
    code = (code or "").strip()
    if not code:
        if required:
            raise HousingUpdateError({name: "Veuillez choisir l’occupation actuelle."})
        return ""
    if code not in Occupancy.values:
        raise HousingUpdateError({name: "Occupation inconnue."})
    if code in READ_ONLY_OCCUPANCIES:
        raise HousingUpdateError(
            {
                name: f"L’occupation « {Occupancy(code).label} » provient des Fichiers fonciers "
                "et ne peut pas être choisie."
            }
        )
    return code


def _check_dpe(value) -> str:
    value = (value or "").strip().upper()
    if value and value not in EnergyClass.values:
        raise HousingUpdateError({"actual_dpe": "L’étiquette DPE doit être une lettre de A à G."})
    return value


def _check_precisions(precision_ids) -> dict[int, Precision]:
    try:
        ids = {int(precision_id) for precision_id in precision_ids}
    except (TypeError, ValueError):
        raise HousingUpdateError({"precision_ids": "Précision inconnue."}) from None
    precisions = Precision.objects.in_bulk(ids)
    if len(precisions) != len(ids):
        raise HousingUpdateError({"precision_ids": "Précision inconnue."})
    seen: dict[str, Precision] = {}
    for precision in sorted(precisions.values(), key=lambda p: (p.category, p.order)):
        if precision.category in SINGLE_CHOICE_PRECISION_CATEGORIES:
            if precision.category in seen:
                raise HousingUpdateError(
                    {
                        "precision_ids": f"Une seule précision peut être choisie pour "
                        f"« {category_label(precision.category)} »."
                    }
                )
            seen[precision.category] = precision
    return precisions


# ---- One dwelling ------------------------------------------------------------------------------


def housing_snapshot(housing: Housing) -> dict:
    """The editable values of a dwelling, as a form carries them to detect concurrent edits."""
    return {
        "status": housing.status,
        "sub_status": housing.sub_status,
        "occupancy": housing.occupancy,
        "occupancy_intended": housing.occupancy_intended,
        "actual_dpe": housing.actual_dpe,
        "precision_ids": sorted(
            HousingPrecision.objects.filter(housing=housing).values_list("precision_id", flat=True)
        ),
    }


def housing_update(
    *,
    housing: Housing,
    by,
    status=UNSET,
    sub_status=UNSET,
    occupancy=UNSET,
    occupancy_intended=UNSET,
    actual_dpe=UNSET,
    precision_ids=UNSET,
    expected_version: dict | None = None,
    refuse_conflicts: bool = False,
) -> HousingUpdateResult:
    """Change the follow-up of one dwelling; arguments left UNSET are kept.

    `expected_version` holds the values the form was loaded with (see housing_snapshot). A field
    that another user changed since then is refused if this form changes it too (reported in
    `conflicts`, the other fields are saved); a field this form left as loaded keeps the current
    value, whoever set it. Without it, the given values win. With `refuse_conflicts` (the API), any
    conflict raises HousingConflictError and nothing is saved.
    """
    expected = expected_version or {}
    result = HousingUpdateResult(housing=housing)
    with transaction.atomic():
        current = Housing.objects.select_for_update().get(pk=housing.pk)
        now = timezone.now()
        events: list[Event] = []
        update_fields: list[str] = []

        # Status and sub-status move together: a sub-status only means something with its status.
        if status is not UNSET or sub_status is not UNSET:
            new_status = current.status if status is UNSET else _check_status(status)
            new_sub = current.sub_status if sub_status is UNSET else (sub_status or "").strip()
            submitted = (new_status, new_sub)
            if status is not UNSET and sub_status is UNSET and not SUB_STATUSES[new_status]:
                submitted = (new_status, "")
            current_pair = (current.status, current.sub_status)
            loaded = (expected["status"], expected.get("sub_status", "")) if "status" in expected else None
            if submitted != current_pair and submitted != loaded:
                new_sub = _check_sub_status(new_status, submitted[1], explicit=sub_status is not UNSET)
                if loaded is not None and current_pair != loaded:
                    result.conflicts["status"] = _conflict_message(current, "status")
                elif (new_status, new_sub) != current_pair:
                    events.append(
                        _event(
                            EventKind.HOUSING_STATUS_UPDATED,
                            current,
                            by,
                            now,
                            _status_payload(current.status, current.sub_status),
                            _status_payload(new_status, new_sub),
                        )
                    )
                    current.status, current.sub_status = new_status, new_sub
                    update_fields += ["status", "sub_status"]
                    result.changed.append("status")

        old_occupancy = (current.occupancy, current.occupancy_intended)
        for name, value, required in (
            ("occupancy", occupancy, True),
            ("occupancy_intended", occupancy_intended, False),
        ):
            if value is UNSET or _unchanged(name, (value or "").strip(), getattr(current, name), expected):
                continue
            value = _check_occupancy(name, value, required=required)
            if name in expected and getattr(current, name) != expected[name]:
                result.conflicts[name] = _conflict_message(current, name)
                continue
            setattr(current, name, value)
            update_fields.append(name)
        if (current.occupancy, current.occupancy_intended) != old_occupancy:
            events.append(
                _event(
                    EventKind.HOUSING_OCCUPANCY_UPDATED,
                    current,
                    by,
                    now,
                    _occupancy_payload(*old_occupancy),
                    _occupancy_payload(current.occupancy, current.occupancy_intended),
                )
            )
            result.changed.append("occupancy")

        if actual_dpe is not UNSET and not _unchanged(
            "actual_dpe", _check_dpe(actual_dpe), current.actual_dpe, expected
        ):
            value = _check_dpe(actual_dpe)
            if "actual_dpe" in expected and current.actual_dpe != expected["actual_dpe"]:
                result.conflicts["actual_dpe"] = _conflict_message(current, "actual_dpe")
            else:
                events.append(
                    _event(
                        EventKind.HOUSING_UPDATED,
                        current,
                        by,
                        now,
                        {"actualEnergyConsumption": current.actual_dpe or None},
                        {"actualEnergyConsumption": value or None},
                    )
                )
                current.actual_dpe = value
                update_fields.append("actual_dpe")
                result.changed.append("actual_dpe")

        if precision_ids is not UNSET:
            precision_events, conflict = _update_precisions(
                current, by, now, precision_ids, expected.get("precision_ids")
            )
            if conflict:
                result.conflicts["precision_ids"] = conflict
            if precision_events:
                events += precision_events
                result.changed.append("precisions")

        if refuse_conflicts and result.conflicts:
            # Raised inside the transaction: the précisions already written are rolled back too.
            raise HousingConflictError(result.conflicts)
        if update_fields or events:
            current.updated_at = now
            current.save(update_fields=[*update_fields, "updated_at"])
            Event.objects.bulk_create(events)
    result.housing = current
    return result


def _unchanged(name: str, submitted, current_value, expected: dict) -> bool:
    """True when there is nothing to write: same as now, or as loaded (the form did not touch it)."""
    return submitted == current_value or (name in expected and submitted == expected[name])


def _event(kind, housing, by, now, old, new) -> Event:
    return Event(kind=kind, housing=housing, old=old, new=new, created_by=by, created_at=now)


def _update_precisions(housing, by, now, precision_ids, loaded_ids) -> tuple[list[Event], str]:
    """Apply the submitted précisions as a three-way merge with those the form was loaded with.

    Multi-choice categories merge (what this form added or removed, nothing else); a single-choice
    category that another user changed meanwhile keeps its current value and is reported.
    """
    submitted = set(_check_precisions(precision_ids))
    links = {
        link.precision_id: link
        for link in HousingPrecision.objects.filter(housing=housing).select_related("precision")
    }
    current = set(links)
    loaded = set(loaded_ids) if loaded_ids is not None else None
    catalogue = Precision.objects.in_bulk(submitted | current | (loaded or set()))

    def category(precision_id: int) -> str:
        return catalogue[precision_id].category

    conflicts = []
    if loaded is None:
        target = set(submitted)
    else:
        loaded &= set(catalogue)
        added, removed = submitted - loaded, loaded - submitted
        target = (current - removed) | added
        for single in sorted(SINGLE_CHOICE_PRECISION_CATEGORIES):
            if not any(category(i) == single for i in added | removed):
                continue
            now_in = {i for i in current if category(i) == single}
            if now_in != {i for i in loaded if category(i) == single}:
                target = {i for i in target if category(i) != single} | now_in
                conflicts.append(_conflict_message(housing, "precision_ids", category=single))
    # A single-choice category holds one précision: the newest choice replaces the other.
    for precision_id in target - current:
        if category(precision_id) in SINGLE_CHOICE_PRECISION_CATEGORIES:
            target -= {i for i in current if category(i) == category(precision_id)}
    to_add, to_remove = sorted(target - current), sorted(current - target)
    events = [
        _event(EventKind.HOUSING_PRECISION_DETACHED, housing, by, now, _precision_payload(catalogue[i]), None)
        for i in to_remove
    ]
    events += [
        _event(EventKind.HOUSING_PRECISION_ATTACHED, housing, by, now, None, _precision_payload(catalogue[i]))
        for i in to_add
    ]
    if to_remove:
        HousingPrecision.objects.filter(housing=housing, precision_id__in=to_remove).delete()
    if to_add:
        HousingPrecision.objects.bulk_create(
            [HousingPrecision(housing=housing, precision_id=i, created_at=now) for i in to_add]
        )
    return events, " ".join(conflicts)


# Where to find who made the change that conflicts with a form (event kind, key in `new`).
CONFLICT_EVENTS = {
    "status": (EventKind.HOUSING_STATUS_UPDATED, "status"),
    "occupancy": (EventKind.HOUSING_OCCUPANCY_UPDATED, "occupancy"),
    "occupancy_intended": (EventKind.HOUSING_OCCUPANCY_UPDATED, "occupancyIntended"),
    "actual_dpe": (EventKind.HOUSING_UPDATED, "actualEnergyConsumption"),
}


def _conflict_message(housing: Housing, name: str, *, category: str | None = None) -> str:
    """'Le statut de suivi a été modifié par Camille Martin le 3 mars 2025 à 10:00 …'."""
    events = Event.objects.filter(housing=housing).select_related("created_by").order_by("-created_at", "-pk")
    if category is not None:
        label = category_label(category)
        subject = f"La précision « {label} »"
        events = events.filter(
            kind__in=[EventKind.HOUSING_PRECISION_ATTACHED, EventKind.HOUSING_PRECISION_DETACHED]
        ).filter(_category_filter(label))
        current = ", ".join(
            HousingPrecision.objects.filter(housing=housing, precision__category=category).values_list(
                "precision__label", flat=True
            )
        )
    else:
        subject = FIELD_LABELS[name]
        kind, key = CONFLICT_EVENTS[name]
        events = events.filter(kind=kind, new__has_key=key)
        current = _current_value_label(housing, name)
    event = events.first()
    verb = "a été modifiée" if subject.startswith(("La ", "L’occupation", "L’étiquette")) else "a été modifié"
    if event is not None:
        when = date_format(timezone.localtime(event.created_at), "j F Y à H:i")
        who = f" par {event.created_by.full_name} le {when}"
    else:
        who = " par une autre personne"
    return (
        f"{subject} {verb}{who} pendant que vous éditiez ce logement : votre modification de ce champ "
        f"n’a pas été enregistrée. Valeur actuelle : {current or 'aucune'}."
    )


def _category_filter(label: str):
    from django.db.models import Q

    return Q(new__category=label) | Q(old__category=label)


def _current_value_label(housing: Housing, name: str) -> str:
    if name == "status":
        label = status_label(housing.status)
        return f"{label} ({housing.sub_status})" if housing.sub_status else label
    if name in ("occupancy", "occupancy_intended"):
        return occupancy_label(getattr(housing, name)) or ""
    return getattr(housing, name)


# ---- A selection of dwellings ------------------------------------------------------------------


def contacted_housing_ids(queryset: QuerySet) -> set[int]:
    """Ids of the dwellings of `queryset` already contacted: followed (status ≠ 0) and in a campaign."""
    from zlv.campaigns.models import CampaignHousing

    contacted = queryset.exclude(status=HousingStatus.NEVER_CONTACTED).filter(
        Exists(CampaignHousing.objects.filter(housing=OuterRef("pk")))
    )
    return set(contacted.order_by().values_list("pk", flat=True))


def filters_to_json(filters: HousingFilters) -> dict:
    """The filters as JSON (for a background job), read back by filters_from_json."""
    data = dataclasses.asdict(filters)
    data.pop("errors", None)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def filters_from_json(data: dict) -> HousingFilters:
    names = {f.name for f in dataclasses.fields(HousingFilters)} - {"errors"}
    return HousingFilters(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in data.items()
            if key in names
        }
    )


def _bulk_changes(
    *, status, sub_status, occupancy, occupancy_intended, precision_ids, note
) -> tuple[dict, dict[int, Precision]]:
    """Validated changes of a bulk edit (only the given ones)."""
    changes: dict[str, Any] = {}
    if status is not UNSET and status is not None and status != "":
        changes["status"] = _check_status(status)
        changes["sub_status"] = _check_sub_status(
            changes["status"], "" if sub_status is UNSET else sub_status, explicit=sub_status is not UNSET
        )
    elif sub_status is not UNSET and sub_status:
        raise HousingUpdateError({"sub_status": "Choisissez le statut de suivi qui va avec ce sous-statut."})
    if occupancy is not UNSET and occupancy:
        changes["occupancy"] = _check_occupancy("occupancy", occupancy, required=True)
    if occupancy_intended is not UNSET and occupancy_intended:
        changes["occupancy_intended"] = _check_occupancy(
            "occupancy_intended", occupancy_intended, required=False
        )
    precisions = _check_precisions(precision_ids or [])
    if precisions:
        changes["precision_ids"] = sorted(precisions)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise HousingUpdateError({"note": f"La note est limitée à {NOTE_MAX_LENGTH} caractères."})
    if note:
        changes["note"] = note
    if not changes:
        raise HousingUpdateError(
            {"__all__": "Aucune modification à enregistrer : renseignez au moins un champ."}
        )
    return changes, precisions


def bulk_selection(user, filters: HousingFilters) -> QuerySet:
    """The dwellings a bulk edit applies to: the selected ids, or all matching minus the exclusions.

    A selected id outside the user's perimeter is a 404, as on the record page."""
    if filters.errors:
        raise HousingUpdateError({"__all__": "La sélection contient des filtres invalides."})
    if not filters.all_selected:
        if not filters.housing_ids:
            raise HousingUpdateError({"__all__": "Aucun logement sélectionné."})
        visible = Housing.objects.visible_to(user).filter(pk__in=filters.housing_ids).count()
        if visible != len(filters.housing_ids):
            raise Http404("Logement introuvable.")
    return filtered_housing(user, filters)


def housing_bulk_update_preview(
    *,
    user,
    filters: HousingFilters,
    status=UNSET,
    sub_status=UNSET,
    occupancy=UNSET,
    occupancy_intended=UNSET,
    precision_ids=(),
    note: str | None = None,
) -> int:
    """Check a bulk edit without writing (the confirmation step); the number of dwellings it changes."""
    changes, _ = _bulk_changes(
        status=status,
        sub_status=sub_status,
        occupancy=occupancy,
        occupancy_intended=occupancy_intended,
        precision_ids=precision_ids,
        note=note,
    )
    queryset = bulk_selection(user, filters)
    count = queryset.count()
    if not count:
        raise HousingUpdateError({"__all__": "Aucun logement ne correspond à la sélection."})
    _refuse_never_contacted(changes, queryset)
    return count


def housing_bulk_update(
    *,
    user,
    filters: HousingFilters,
    status=UNSET,
    sub_status=UNSET,
    occupancy=UNSET,
    occupancy_intended=UNSET,
    precision_ids=(),
    note: str | None = None,
) -> BulkUpdateOutcome:
    """Change the follow-up of the selected dwellings of the user's perimeter, set-based.

    Précisions are only added. Above BULK_SYNC_LIMIT dwellings the edit is handed to the task
    worker: the outcome then carries the BulkUpdateJob to follow.
    """
    changes, _ = _bulk_changes(
        status=status,
        sub_status=sub_status,
        occupancy=occupancy,
        occupancy_intended=occupancy_intended,
        precision_ids=precision_ids,
        note=note,
    )
    queryset = bulk_selection(user, filters)
    with transaction.atomic():
        # Rows are locked by _bulk_apply (the filters may group rows, which FOR UPDATE refuses).
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise HousingUpdateError({"__all__": "Aucun logement ne correspond à la sélection."})
        _refuse_never_contacted(changes, Housing.objects.filter(pk__in=ids))
        if len(ids) > BULK_SYNC_LIMIT:
            job = BulkUpdateJob.objects.create(
                establishment_id=user.active_establishment_id,
                user=user,
                filters=filters_to_json(filters),
                changes=changes,
                total=len(ids),
            )
            from zlv.housing.tasks import bulk_update_run

            transaction.on_commit(lambda: bulk_update_run.enqueue(job_id=job.pk))
            return BulkUpdateOutcome(count=len(ids), job=job)
        _bulk_apply(ids=ids, changes=changes, by_id=user.pk, now=timezone.now())
    return BulkUpdateOutcome(count=len(ids))


def _refuse_never_contacted(changes: dict, queryset: QuerySet) -> None:
    if changes.get("status") != HousingStatus.NEVER_CONTACTED:
        return
    contacted = contacted_housing_ids(queryset)
    if contacted:
        count = len(contacted)
        subject = (
            "1 logement a déjà été contacté" if count == 1 else f"{count} logements ont déjà été contactés"
        )
        raise HousingUpdateForbiddenError(
            {
                "status": f"{subject} dans une campagne : leur statut ne peut pas repasser à « Non suivi ». "
                "Retirez-les de la sélection ou choisissez un autre statut."
            }
        )


def bulk_update_job_run(*, job_id: int) -> BulkUpdateJob:
    """Run a background bulk edit by chunks, each in its own transaction, recording progress."""
    job = BulkUpdateJob.objects.select_related("user").get(pk=job_id)
    if job.is_finished:
        return job
    user = job.user
    # The selection belongs to the establishment the job was started for, whatever the user does next.
    user.active_establishment_id = job.establishment_id
    BulkUpdateJob.objects.filter(pk=job.pk).update(
        status=BulkUpdateJobStatus.RUNNING, progress_at=timezone.now()
    )
    done = 0
    try:
        if not Membership.objects.filter(user=user, establishment_id=job.establishment_id).exists():
            raise HousingUpdateError({"__all__": "Vous n’êtes plus membre de cette structure."})
        filters = filters_from_json(job.filters)
        ids = list(bulk_selection(user, filters).order_by("pk").values_list("pk", flat=True))
        _refuse_never_contacted(job.changes, Housing.objects.filter(pk__in=ids))
        BulkUpdateJob.objects.filter(pk=job.pk).update(total=len(ids), progress_at=timezone.now())
        for start in range(0, len(ids), BULK_CHUNK_SIZE):
            chunk = ids[start : start + BULK_CHUNK_SIZE]
            with transaction.atomic():
                _bulk_apply(ids=chunk, changes=job.changes, by_id=user.pk, now=timezone.now())
                done += len(chunk)
                BulkUpdateJob.objects.filter(pk=job.pk).update(done=done, progress_at=timezone.now())
    except HousingUpdateError as error:
        _finish(job, BulkUpdateJobStatus.FAILED, done, " ".join(error.errors.values()))
    except Exception:
        logger.exception("Bulk update job %s failed", job.pk)
        _finish(
            job,
            BulkUpdateJobStatus.FAILED,
            done,
            f"Une erreur technique a interrompu l’édition groupée après {done} logements. "
            "L’équipe en a été informée ; vous pouvez relancer l’édition des logements restants.",
        )
    else:
        _finish(job, BulkUpdateJobStatus.SUCCEEDED, done, "")
    job.refresh_from_db()
    return job


def _finish(job: BulkUpdateJob, status: str, done: int, error: str) -> None:
    BulkUpdateJob.objects.filter(pk=job.pk).update(
        status=status, done=done, error=error, finished_at=timezone.now()
    )


HOUSING = Housing._meta.db_table
EVENT = Event._meta.db_table
HOUSING_PRECISION = HousingPrecision._meta.db_table
PRECISION = Precision._meta.db_table
NOTE = Note._meta.db_table


def _bulk_apply(*, ids: list[int], changes: dict, by_id: int, now) -> None:
    """Apply validated bulk changes to `ids` with one statement per change (UPDATE … FROM and
    INSERT … SELECT), events included; the caller holds the transaction."""
    import json

    params = {
        "ids": ids,
        "now": now,
        "by": by_id,
        "status_labels": json.dumps({str(value): label for value, label in HousingStatus.choices}),
        "occupancy_labels": json.dumps(dict(Occupancy.choices)),
        "category_labels": json.dumps(dict(PrecisionCategory.choices)),
    }
    with connection.cursor() as cursor:
        # Lock in a stable order so that two bulk edits never deadlock.
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {HOUSING} WHERE id = ANY(%(ids)s) "  # noqa: S608
            "ORDER BY id FOR UPDATE) s",
            params,
        )
        if "status" in changes:
            cursor.execute(
                f"""
                WITH old AS (
                    SELECT id, status, sub_status FROM {HOUSING}
                     WHERE id = ANY(%(ids)s) AND (status <> %(status)s OR sub_status <> %(sub_status)s)
                ), updated AS (
                    UPDATE {HOUSING} h
                       SET status = %(status)s, sub_status = %(sub_status)s, updated_at = %(now)s
                      FROM old WHERE h.id = old.id
                    RETURNING h.id
                )
                INSERT INTO {EVENT} {EVENT_COLUMNS}
                SELECT 'housing:status-updated', old.id, NULL,
                       jsonb_build_object('status', %(status_labels)s::jsonb ->> old.status::text,
                                          'subStatus', NULLIF(old.sub_status, '')),
                       %(new_status)s::jsonb, %(now)s, %(by)s, NULL
                  FROM old JOIN updated USING (id)
                """,  # noqa: S608 — table names from models, values are parameters
                {
                    **params,
                    "status": changes["status"],
                    "sub_status": changes["sub_status"],
                    "new_status": json.dumps(_status_payload(changes["status"], changes["sub_status"])),
                },
            )
        if "occupancy" in changes or "occupancy_intended" in changes:
            label = "COALESCE(%(occupancy_labels)s::jsonb ->> {0}, NULLIF({0}, ''))"
            cursor.execute(
                f"""
                WITH old AS (
                    SELECT id, occupancy, occupancy_intended FROM {HOUSING}
                     WHERE id = ANY(%(ids)s)
                       AND ((%(occupancy)s::text IS NOT NULL AND occupancy <> %(occupancy)s::text)
                            OR (%(intended)s::text IS NOT NULL AND occupancy_intended <> %(intended)s::text))
                ), updated AS (
                    UPDATE {HOUSING} h
                       SET occupancy = COALESCE(%(occupancy)s::text, h.occupancy),
                           occupancy_intended = COALESCE(%(intended)s::text, h.occupancy_intended),
                           updated_at = %(now)s
                      FROM old WHERE h.id = old.id
                    RETURNING h.id, h.occupancy, h.occupancy_intended
                )
                INSERT INTO {EVENT} {EVENT_COLUMNS}
                SELECT 'housing:occupancy-updated', old.id, NULL,
                       jsonb_build_object('occupancy', {label.format("old.occupancy")},
                                          'occupancyIntended', {label.format("old.occupancy_intended")}),
                       jsonb_build_object('occupancy', {label.format("u.occupancy")},
                                          'occupancyIntended', {label.format("u.occupancy_intended")}),
                       %(now)s, %(by)s, NULL
                  FROM old JOIN updated u USING (id)
                """,  # noqa: S608 — see above
                {
                    **params,
                    "occupancy": changes.get("occupancy"),
                    "intended": changes.get("occupancy_intended"),
                },
            )
        if changes.get("precision_ids"):
            precision_params = {**params, "added": changes["precision_ids"]}
            # Single-choice categories: the added précision replaces the dwelling's other one.
            cursor.execute(
                f"""
                WITH removed AS (
                    DELETE FROM {HOUSING_PRECISION} hp USING {PRECISION} p
                     WHERE hp.precision_id = p.id AND hp.housing_id = ANY(%(ids)s)
                       AND p.category = ANY(%(single)s) AND NOT hp.precision_id = ANY(%(added)s)
                       AND p.category IN (SELECT category FROM {PRECISION} WHERE id = ANY(%(added)s))
                    RETURNING hp.housing_id, p.category, p.label
                )
                INSERT INTO {EVENT} {EVENT_COLUMNS}
                SELECT 'housing:precision-detached', housing_id, NULL,
                       jsonb_build_object('category', %(category_labels)s::jsonb ->> category,
                                          'label', label),
                       NULL, %(now)s, %(by)s, NULL
                  FROM removed
                """,  # noqa: S608 — see above
                {**precision_params, "single": sorted(str(c) for c in SINGLE_CHOICE_PRECISION_CATEGORIES)},
            )
            cursor.execute(
                f"""
                WITH attached AS (
                    INSERT INTO {HOUSING_PRECISION} (housing_id, precision_id, created_at)
                    SELECT h.id, p.id, %(now)s
                      FROM unnest(%(ids)s::bigint[]) AS h(id) CROSS JOIN {PRECISION} p
                     WHERE p.id = ANY(%(added)s)
                    ON CONFLICT (housing_id, precision_id) DO NOTHING
                    RETURNING housing_id, precision_id
                ), touched AS (
                    UPDATE {HOUSING} SET updated_at = %(now)s
                     WHERE id IN (SELECT housing_id FROM attached)
                )
                INSERT INTO {EVENT} {EVENT_COLUMNS}
                SELECT 'housing:precision-attached', a.housing_id, NULL, NULL,
                       jsonb_build_object('category', %(category_labels)s::jsonb ->> p.category,
                                          'label', p.label),
                       %(now)s, %(by)s, NULL
                  FROM attached a JOIN {PRECISION} p ON p.id = a.precision_id
                """,  # noqa: S608 — see above
                precision_params,
            )
        if changes.get("note"):
            cursor.execute(
                f"""
                INSERT INTO {NOTE}
                       (housing_id, owner_id, content, created_by_id, created_at, updated_at, deleted_at)
                SELECT id, NULL, %(content)s, %(by)s, %(now)s, %(now)s, NULL
                  FROM unnest(%(ids)s::bigint[]) AS t(id)
                """,  # noqa: S608 — see above
                {**params, "content": changes["note"]},
            )


# ---- Notes -------------------------------------------------------------------------------------


def note_changeable_ids(user, notes) -> set[int]:
    """Ids of the notes `user` may edit or delete: their own, and as an administrator of their active
    establishment, those written by its members. At most two queries, whatever the number of notes."""
    notes = list(notes)
    if not user.is_authenticated or not notes:
        return set()
    changeable = {note.pk for note in notes if note.created_by_id == user.pk}
    establishment_id = getattr(user, "active_establishment_id", None)
    others = {note.created_by_id for note in notes if note.pk not in changeable}
    if establishment_id is None or not others:
        return changeable
    if Membership.objects.filter(user=user, establishment_id=establishment_id, role=Role.ADMIN).exists():
        members = set(
            Membership.objects.filter(establishment_id=establishment_id, user_id__in=others).values_list(
                "user_id", flat=True
            )
        )
        changeable |= {note.pk for note in notes if note.created_by_id in members}
    return changeable


def note_can_change(note: Note, user) -> bool:
    """Its author, or an administrator of the user's active establishment when the author is a member."""
    return note.pk in note_changeable_ids(user, [note])


def _check_note_content(content) -> str:
    content = (content or "").strip()
    if not content:
        raise HousingUpdateError({"content": "Veuillez saisir le contenu de la note."})
    if len(content) > NOTE_MAX_LENGTH:
        raise HousingUpdateError({"content": f"La note est limitée à {NOTE_MAX_LENGTH} caractères."})
    return content


def note_create(*, housing: Housing, by, content: str) -> Note:
    content = _check_note_content(content)
    with transaction.atomic():
        return Note.objects.create(housing=housing, content=content, created_by=by)


class NoteConflictError(HousingUpdateError):
    """The note was changed or deleted since the form was loaded; nothing saved. `note` is its current
    state (None when deleted)."""

    def __init__(self, errors: dict[str, str], note: Note | None):
        super().__init__(errors)
        self.note = note


def note_update(*, note: Note, by, content: str, expected_updated_at=None) -> Note:
    """Replace a note's text. `expected_updated_at` is the note's `updated_at` when the form was loaded:
    if it changed since (another tab, an administrator), NoteConflictError and nothing is saved."""
    if not note_can_change(note, by):
        raise PermissionDenied(
            "Seul l’auteur de la note ou un administrateur de la structure peut la modifier."
        )
    content = _check_note_content(content)
    with transaction.atomic():
        current = Note.objects.select_for_update().filter(pk=note.pk, deleted_at__isnull=True).first()
        if current is None:
            raise NoteConflictError(
                {
                    "content": "Cette note a été supprimée entre-temps : "
                    "votre modification n’a pas été enregistrée."
                },
                None,
            )
        if expected_updated_at is not None and current.updated_at != expected_updated_at:
            when = date_format(timezone.localtime(current.updated_at), "j F Y à H:i")
            raise NoteConflictError(
                {
                    "content": f"Cette note a été modifiée le {when}, après l’ouverture de ce formulaire : "
                    "votre modification n’a pas été enregistrée."
                },
                current,
            )
        current.content = content
        current.updated_at = timezone.now()
        current.save(update_fields=["content", "updated_at"])
    return current


def note_delete(*, note: Note, by) -> Note:
    if not note_can_change(note, by):
        raise PermissionDenied(
            "Seul l’auteur de la note ou un administrateur de la structure peut la supprimer."
        )
    with transaction.atomic():
        note = Note.objects.select_for_update().get(pk=note.pk)
        if note.deleted_at is None:
            note.deleted_at = timezone.now()
            note.save(update_fields=["deleted_at"])
    return note
