"""Re-imports: idempotence, the next millésime over existing data, atomicity."""

import pytest

from tests.factories import UserFactory
from tests.lovac.conftest import MILLESIME, import_file, lovac_row, run_import, write_lovac
from zlv.accounts.services import system_user
from zlv.housing.models import Building, Event, Housing, HousingOwner, Owner
from zlv.lovac import merge as lovac_merge
from zlv.lovac.models import ImportRun

NEXT = MILLESIME + 1


def snapshot():
    """Every data row, as comparable tuples."""
    return {
        "housing": sorted(Housing.objects.values_list()),
        "owners": sorted(Owner.objects.values_list()),
        "links": sorted(HousingOwner.objects.values_list()),
        "events": sorted(Event.objects.values_list("id", "kind", "housing_id", "owner_id")),
        "buildings": sorted(Building.objects.values_list()),
    }


def next_row(number, **values):
    return lovac_row(number, annee=str(NEXT), **values)


def test_importing_the_same_file_twice_changes_nothing(communes, tmp_path):
    rows = [
        lovac_row(1, ff_ddenom_2="MARTIN/PAUL", ff_idpersonne_2="P0000099"),
        lovac_row(2, ff_idpersonne_1="P0000099", ff_ddenom_1="MARTIN/PAUL"),
        lovac_row(3, ff_stoth="x"),
    ]
    path = write_lovac(tmp_path / "lovac.csv", rows)
    code, first = run_import(path)
    assert (code, first["housing_created"], first["owners_created"]) == (0, 3, 3)
    before = snapshot()
    code, second = run_import(path)
    assert code == 0
    assert (second["housing_created"], second["housing_updated"], second["housing_exited"]) == (0, 0, 0)
    assert (second["owners_created"], second["owners_updated"]) == (0, 0)
    assert snapshot() == before
    assert ImportRun.objects.count() == 2


@pytest.fixture
def imported(communes, tmp_path):
    """Dwellings 1–4 of Lille imported from the 2025 millésime."""
    rows = [lovac_row(n) for n in range(1, 5)]
    rows[1]["ff_ddenom_2"], rows[1]["ff_idpersonne_2"] = "MARTIN/PAUL", "P0000099"
    code, summary, _report = import_file(tmp_path, rows, name="lovac-2025.csv")
    assert code == 0
    return {h.local_id: h for h in Housing.objects.all()}


def test_next_millesime_refreshes_and_keeps_follow_up(imported, tmp_path):
    agent = UserFactory()
    kept = imported["590000000001"]
    kept.status, kept.sub_status = 3, "En accompagnement"
    kept.save()
    Event.objects.create(kind="housing:status-updated", housing=kept, created_by=agent, old={}, new={})
    kept.notes.create(content="Propriétaire rencontré", created_by=agent)
    owner = Owner.objects.get(idpersonne="P0000001")
    owner.email, owner.phone, owner.do_not_contact = "jean@example.test", "0601020304", True
    owner.save()

    rows = [
        next_row(1, ff_stoth="80", ff_ddenom_1="DUPONT/JEAN-PIERRE"),
        next_row(2),
        next_row(5),
    ]
    code, summary = run_import(write_lovac(tmp_path / "lovac-2026.csv", rows), millesime=NEXT)
    assert code == 0
    assert summary["housing_created"] == 1
    assert summary["housing_updated"] == 2
    kept.refresh_from_db()
    assert kept.living_area == 80
    assert kept.data_file_years == [f"lovac-{MILLESIME}", f"lovac-{NEXT}"]
    assert (kept.status, kept.sub_status, kept.occupancy) == (3, "En accompagnement", "V")
    assert kept.notes.count() == 1
    owner.refresh_from_db()
    assert owner.full_name == "DUPONT/JEAN-PIERRE"
    assert (owner.email, owner.phone, owner.do_not_contact) == ("jean@example.test", "0601020304", True)
    assert summary["owners_updated"] == 1
    refreshed = Event.objects.get(housing=kept, kind="housing:lovac-refreshed")
    assert refreshed.old["livingArea"] == 54 and refreshed.new["livingArea"] == 80
    assert refreshed.created_by == system_user()


def test_absent_dwellings_exit_unless_a_user_touched_them(imported, tmp_path):
    agent = UserFactory()
    touched = imported["590000000003"]
    Event.objects.create(kind="housing:occupancy-updated", housing=touched, created_by=agent, old={}, new={})
    waiting = imported["590000000004"]
    waiting.status = 1
    waiting.save()
    other_commune = Housing.objects.create(
        local_id="590000000077",
        geo_code="59512",
        housing_kind="MAISON",
        data_file_years=[f"lovac-{MILLESIME}"],
    )

    rows = [next_row(1)]
    code, summary = run_import(write_lovac(tmp_path / "lovac-2026.csv", rows), millesime=NEXT)
    assert code == 0
    assert summary["housing_exited"] == 2
    for local_id, status_label in (("590000000002", "Non suivi"), ("590000000004", "En attente de retour")):
        housing = Housing.objects.get(local_id=local_id)
        assert (housing.occupancy, housing.status, housing.sub_status) == (
            "inconnu",
            4,
            "Sortie de la vacance",
        )
        status_event = Event.objects.get(housing=housing, kind="housing:status-updated")
        assert status_event.old == {"status": status_label}
        assert status_event.new == {"status": "Suivi terminé", "subStatus": "Sortie de la vacance"}
        occupancy_event = Event.objects.get(housing=housing, kind="housing:occupancy-updated")
        assert (occupancy_event.old, occupancy_event.new) == (
            {"occupancy": "Vacant"},
            {"occupancy": "Pas d’information"},
        )
        assert occupancy_event.created_by == system_user()
        assert occupancy_event.import_run_id == ImportRun.objects.order_by("-id").first().id
    touched.refresh_from_db()
    assert (touched.occupancy, touched.status) == ("V", 0)
    # A file cut to Lille says nothing about Roubaix.
    other_commune.refresh_from_db()
    assert (other_commune.occupancy, other_commune.status) == ("V", 0)

    # Idempotent too.
    before = snapshot()
    code, again = run_import(tmp_path / "lovac-2026.csv", millesime=NEXT)
    assert (again["housing_created"], again["housing_updated"], again["housing_exited"]) == (0, 0, 0)
    assert snapshot() == before


def test_dwelling_back_in_the_file_is_vacant_again_unless_user_changed_it(imported, tmp_path):
    run_import(write_lovac(tmp_path / "a.csv", [next_row(1), next_row(3), next_row(4)]), millesime=NEXT)
    exited = Housing.objects.get(local_id="590000000002")
    assert exited.status == 4
    third = MILLESIME + 2
    rows = [lovac_row(n, annee=str(third)) for n in (1, 2, 3, 4)]
    code, summary = run_import(write_lovac(tmp_path / "b.csv", rows), millesime=third)
    assert code == 0
    exited.refresh_from_db()
    assert (exited.occupancy, exited.status, exited.sub_status) == ("V", 0, "")
    status_events = Event.objects.filter(housing=exited, kind="housing:status-updated").order_by("id")
    assert status_events.last().new == {"status": "Non suivi"}


def test_owners_are_reconciled(imported, tmp_path):
    agent = UserFactory()
    second = imported["590000000002"]
    martin = Owner.objects.get(idpersonne="P0000099")
    martin.email = "paul@example.test"
    # Typed by an agent: the import writes the fiscal address only.
    martin.postal_address_line, martin.postal_code, martin.postal_city = "8 rue Gambetta", "59000", "Lille"
    martin.save()
    # 2026: Dupont sold to Bernard; Martin becomes the primary owner.
    rows = [
        next_row(
            2,
            ff_ddenom_1="MARTIN/PAUL",
            ff_idpersonne_1="P0000099",
            ff_ddenom_2="BERNARD/ANNE",
            ff_idpersonne_2="P0000055",
        ),
        next_row(1),
        next_row(3),
        next_row(4),
    ]
    code, summary = run_import(write_lovac(tmp_path / "lovac-2026.csv", rows), millesime=NEXT)
    assert code == 0
    links = {link.owner.idpersonne: link for link in HousingOwner.objects.filter(housing=second)}
    assert links["P0000099"].rank == 1
    assert links["P0000055"].rank == 2
    assert links["P0000002"].rank == 0
    assert links["P0000002"].end_date is not None
    kinds = set(Event.objects.filter(housing=second, import_run__isnull=False).values_list("kind", flat=True))
    assert {"housing:owner-attached", "housing:owner-detached", "housing:owner-updated"} <= kinds
    detached = Event.objects.get(housing=second, kind="housing:owner-detached")
    assert detached.old == {"name": "DUPONT/JEAN 2", "rank": 1}
    assert detached.new == {"name": "DUPONT/JEAN 2", "rank": 0}
    martin.refresh_from_db()
    assert martin.email == "paul@example.test"
    assert martin.postal_address == "8 rue Gambetta, 59000 Lille"
    assert Event.objects.filter(created_by=agent).count() == 0

    before = snapshot()
    code, again = run_import(tmp_path / "lovac-2026.csv", millesime=NEXT)
    assert snapshot() == before


def test_dry_run_of_a_reimport_writes_nothing(imported, tmp_path):
    before = snapshot()
    path = write_lovac(tmp_path / "lovac-2026.csv", [next_row(1, ff_stoth="99")])
    code, summary = run_import(path, "--dry-run", millesime=NEXT)
    assert (code, summary["status"]) == (0, "dry-run")
    assert summary["housing_updated"] == 1
    assert summary["housing_exited"] == 3
    assert snapshot() == before


@pytest.mark.parametrize("step", ["owners", "exits", "links"])
def test_a_failure_midway_leaves_the_database_unchanged(imported, tmp_path, monkeypatch, step):
    before = snapshot()
    original_run = None

    def failing_merge(cursor, **kwargs):
        kwargs.pop("progress", None)
        markers = {"owners": "logements", "exits": "droits de propriété", "links": "multi-propriétaires"}

        def explode(phase, count=None):
            if phase == markers[step]:
                raise RuntimeError("coupure")

        return original_run(cursor, progress=explode, **kwargs)

    original_run = lovac_merge.merge
    monkeypatch.setattr(lovac_merge, "merge", failing_merge)
    path = write_lovac(tmp_path / "lovac-2026.csv", [next_row(1, ff_stoth="99"), next_row(9)])
    with pytest.raises(RuntimeError):
        run_import(path, millesime=NEXT)
    assert snapshot() == before
    assert ImportRun.objects.order_by("-id").first().status == "failed"

    monkeypatch.undo()
    code, summary = run_import(path, millesime=NEXT)
    assert (code, summary["housing_created"], summary["housing_exited"]) == (0, 1, 3)
