"""Re-imports against the owners' follow-up: what agents did to a dwelling's owners survives."""

import pytest

from tests.factories import EstablishmentFactory, UserFactory
from tests.lovac.conftest import HEADER, MILLESIME, OWNER_FIELDS, lovac_row, run_import, write_lovac
from tests.lovac.test_import_rules import assert_copies_match_rights
from zlv.housing import owner_services
from zlv.housing.enums import OwnerRank
from zlv.housing.models import Event, Housing, HousingOwner, Owner
from zlv.lovac.models import ImportRun

NEXT = MILLESIME + 1


def owners_of(local_id: str) -> dict[str, int]:
    """Rank of each owner of a dwelling, by idpersonne (or name for owners entered by hand)."""
    return {
        link.owner.idpersonne or link.owner.full_name: link.rank
        for link in HousingOwner.objects.filter(housing__local_id=local_id).select_related("owner")
    }


def links_state():
    return sorted(HousingOwner.objects.values_list("housing_id", "owner_id", "rank", "end_date"))


def link_counts(summary) -> tuple[int, int, int]:
    return (summary["owner_links_attached"], summary["owner_links_detached"], summary["owner_links_updated"])


@pytest.fixture
def followed_up(communes, tmp_path):
    """The 2025 file imported, then the agents' edits of the issue, through the owner services.

    Dwelling 1: Dupont (primary), Martin, Durand; the agent marks Dupont deceased (Martin is
    promoted) and attaches Petit, an owner already known. Dwelling 2: Bernard alone; the agent
    creates a new owner as primary.
    """
    path = import_2025(tmp_path)
    agent = UserFactory()
    first = Housing.objects.get(local_id="590000000001")
    second = Housing.objects.get(local_id="590000000002")
    dupont, petit = Owner.objects.get(idpersonne="P0000001"), Owner.objects.get(idpersonne="P0000009")
    result = owner_services.housing_owners_update(
        housing=first, ranks={dupont.pk: OwnerRank.DECEASED}, by=agent
    )
    assert result.promoted.owner.idpersonne == "P0000002"
    owner_services.housing_owner_attach(housing=first, owner=petit, rank=OwnerRank.SECONDARY_2, by=agent)
    owner_services.housing_owner_create(
        housing=second, rank=OwnerRank.PRIMARY, by=agent, full_name="NOUVEAU Jean"
    )
    assert owners_of("590000000001") == {"P0000001": -3, "P0000002": 1, "P0000003": 3, "P0000009": 4}
    assert owners_of("590000000002") == {"P0000004": 2, "NOUVEAU Jean": 1}
    return {"path": path, "agent": agent}


def import_2025(tmp_path):
    """Dwelling 1: Dupont, Martin, Durand; dwelling 2: Bernard; dwelling 3: Petit. Returns the file."""
    rows = [
        lovac_row(
            1,
            ff_ddenom_1="DUPONT/JEAN",
            ff_idpersonne_1="P0000001",
            ff_ddenom_2="MARTIN/PAUL",
            ff_idpersonne_2="P0000002",
            ff_ddenom_3="DURAND/ZOE",
            ff_idpersonne_3="P0000003",
        ),
        lovac_row(2, ff_ddenom_1="BERNARD/ANNE", ff_idpersonne_1="P0000004"),
        lovac_row(3, ff_ddenom_1="PETIT/LUC", ff_idpersonne_1="P0000009"),
    ]
    path = write_lovac(tmp_path / "lovac-2025.csv", rows, header=_header_with_third_owner())
    code, summary = run_import(path)
    assert code == 0 and summary["housing_created"] == 3
    return path


def test_the_same_file_again_keeps_the_edits_made_in_the_owners_pages(communes, tmp_path, client):
    path = import_2025(tmp_path)
    client.force_login(UserFactory(establishment=EstablishmentFactory(communes=[communes["59350"]])))
    first = Housing.objects.get(local_id="590000000001")
    second = Housing.objects.get(local_id="590000000002")
    dupont, martin, durand, petit = (Owner.objects.get(idpersonne=f"P000000{n}") for n in (1, 2, 3, 9))
    pages = f"/logements/{first.pk}/proprietaires"
    ranks = {f"rank-{dupont.pk}": "-3", f"rank-{martin.pk}": "2", f"rank-{durand.pk}": "2"}
    assert client.post(pages, ranks).status_code == 302
    attach = {"owner_id": petit.pk, "rank": "2", "q": "petit"}
    assert client.post(f"{pages}/rattacher", attach).status_code == 302
    created = {"full_name": "Nouveau Jean", "rank": "1"}
    assert client.post(f"/logements/{second.pk}/proprietaires/creer", created).status_code == 302
    before = links_state()
    assert owners_of("590000000001") == {"P0000001": -3, "P0000002": 1, "P0000003": 3, "P0000009": 4}

    code, summary = run_import(path)

    assert code == 0
    assert links_state() == before
    assert owners_of("590000000002") == {"P0000004": 2, "Nouveau Jean": 1}
    assert link_counts(summary) == (0, 0, 0)
    assert_copies_match_rights()


def _header_with_third_owner():
    """The test files' columns with a third owner."""
    return HEADER + [f"{name}_3" for name in OWNER_FIELDS]


def same_right(number: int, *, slot: int) -> dict:
    """The first owner's right of `lovac_row(number)` written in another owner slot."""
    first = lovac_row(number)
    return {f"{name}_{slot}": first[f"{name}_1"] for name in ("ff_idprodroit", "ff_ccodro", "ff_locprop")}


def test_the_same_file_again_keeps_every_owner_edit_of_the_agents(followed_up):
    before = links_state()
    code, summary = run_import(followed_up["path"])
    assert code == 0
    assert links_state() == before
    run = ImportRun.objects.order_by("-pk").first()
    assert not Event.objects.filter(import_run=run).exists()
    assert_copies_match_rights()
    assert Housing.objects.get(local_id="590000000001").primary_owner.idpersonne == "P0000002"
    assert Housing.objects.get(local_id="590000000002").primary_owner.full_name == "NOUVEAU Jean"
    assert link_counts(summary) == (0, 0, 0)


def test_the_next_file_applies_only_what_it_changed(followed_up, tmp_path):
    # 2026: on dwelling 1 Durand sold his share to Leroy; on dwelling 2 Moreau becomes the first
    # owner of the file (Bernard second); dwelling 3 is unchanged.
    rows = [
        lovac_row(
            1,
            annee=str(NEXT),
            ff_ddenom_1="DUPONT/JEAN",
            ff_idpersonne_1="P0000001",
            ff_ddenom_2="MARTIN/PAUL",
            ff_idpersonne_2="P0000002",
            ff_ddenom_3="LEROY/EVE",
            ff_idpersonne_3="P0000005",
        ),
        lovac_row(
            2,
            annee=str(NEXT),
            ff_ddenom_1="MOREAU/LEA",
            ff_idpersonne_1="P0000006",
            ff_ddenom_2="BERNARD/ANNE",
            ff_idpersonne_2="P0000004",
            # Bernard's right itself is unchanged, only its place in the file.
            **same_right(2, slot=2),
        ),
        lovac_row(3, annee=str(NEXT), ff_ddenom_1="PETIT/LUC", ff_idpersonne_1="P0000009"),
    ]
    path = write_lovac(tmp_path / "lovac-2026.csv", rows, header=_header_with_third_owner())
    code, summary = run_import(path, millesime=NEXT)
    assert code == 0
    # Dupont stays deceased, Martin (promoted by the agent) stays primary, Petit (attached by hand)
    # stays; Durand, gone from the file, is a former owner; Leroy arrives.
    assert owners_of("590000000001") == {
        "P0000001": -3,
        "P0000002": 1,
        "P0000003": 0,
        "P0000009": 4,
        "P0000005": 3,
    }
    # The file brings a new primary owner: the one the agent created becomes secondary.
    assert owners_of("590000000002") == {"P0000006": 1, "P0000004": 2, "NOUVEAU Jean": 3}
    assert link_counts(summary) == (2, 1, 1)
    run = ImportRun.objects.order_by("-pk").first()
    events = {
        (e.kind, e.owner.idpersonne or e.owner.full_name): (e.old, e.new)
        for e in Event.objects.filter(import_run=run, kind__startswith="housing:owner").select_related(
            "owner"
        )
    }
    assert events == {
        ("housing:owner-attached", "P0000005"): (None, {"name": "LEROY/EVE", "rank": 3}),
        ("housing:owner-detached", "P0000003"): (
            {"name": "DURAND/ZOE", "rank": 3},
            {"name": "DURAND/ZOE", "rank": 0},
        ),
        ("housing:owner-attached", "P0000006"): (None, {"name": "MOREAU/LEA", "rank": 1}),
        ("housing:owner-updated", "NOUVEAU Jean"): (
            {"name": "NOUVEAU Jean", "rank": 1},
            {"name": "NOUVEAU Jean", "rank": 3},
        ),
    }
    assert_copies_match_rights()

    # The same 2026 file again: nothing more.
    before = links_state()
    code, again = run_import(path, millesime=NEXT)
    assert link_counts(again) == (0, 0, 0)
    assert links_state() == before


def test_a_file_primary_owner_an_agent_found_deceased_promotes_the_next_one(communes, tmp_path):
    header = _header_with_third_owner()
    first = lovac_row(
        1, ff_ddenom_1="A/A", ff_idpersonne_1="P0000001", ff_ddenom_2="B/B", ff_idpersonne_2="P0000002"
    )
    first.update(ff_ddenom_3="C/C", ff_idpersonne_3="P0000003")
    run_import(write_lovac(tmp_path / "a.csv", [first], header=header))
    housing = Housing.objects.get()
    b = Owner.objects.get(idpersonne="P0000002")
    owner_services.housing_owners_update(housing=housing, ranks={b.pk: OwnerRank.DECEASED}, by=UserFactory())
    # Next file: A left, B (deceased for the agent) comes first, C second.
    second = lovac_row(
        1,
        annee=str(NEXT),
        ff_ddenom_1="B/B",
        ff_idpersonne_1="P0000002",
        ff_ddenom_2="C/C",
        ff_idpersonne_2="P0000003",
        # B's right is the one the previous file gave in the second slot (no fiscal details).
        ff_idprodroit_1="",
        ff_ccodro_1="",
        ff_locprop_1="",
    )
    code, summary = run_import(write_lovac(tmp_path / "b.csv", [second], header=header), millesime=NEXT)
    assert code == 0
    assert owners_of("590000000001") == {"P0000001": 0, "P0000002": -3, "P0000003": 1}
    assert link_counts(summary) == (0, 1, 1)
    assert_copies_match_rights()


def test_a_right_refreshed_by_the_file_is_counted_with_its_event(communes, tmp_path):
    from zlv.www.records.presenters import describe_event

    run_import(write_lovac(tmp_path / "a.csv", [lovac_row(1, ff_locprop_1="1")]))
    code, summary = run_import(
        write_lovac(tmp_path / "b.csv", [lovac_row(1, annee=str(NEXT), ff_locprop_1="4")]), millesime=NEXT
    )
    assert code == 0
    assert link_counts(summary) == (0, 0, 1)
    link = HousingOwner.objects.get()
    assert (link.rank, link.locprop_source) == (1, 4)
    event = Event.objects.get(kind="housing:owner-updated")
    assert (event.old, event.new) == (
        {"name": "DUPONT/JEAN 1", "rank": 1, "ownerLocation": 1},
        {"name": "DUPONT/JEAN 1", "rank": 1, "ownerLocation": 4},
    )
    assert describe_event(event.kind, event.old, event.new) == (
        "a actualisé le droit d’un propriétaire (fichier LOVAC)",
        ["DUPONT Jean 1 : localisation du propriétaire"],
    )
    assert_copies_match_rights()


def test_rights_imported_before_source_ranks_existed_get_the_file_rank_unless_an_agent_ranked_them(
    communes, tmp_path
):
    import importlib

    from django.db import connection

    migration = importlib.import_module("zlv.housing.migrations.0023_housing_owner_source_rank")
    rows = [lovac_row(1, ff_ddenom_2="MARTIN/PAUL", ff_idpersonne_2="P0000099"), lovac_row(2)]
    code, summary = run_import(write_lovac(tmp_path / "a.csv", rows))
    assert code == 0, summary
    first = Housing.objects.get(local_id="590000000001")
    dupont, martin = Owner.objects.get(idpersonne="P0000001"), Owner.objects.get(idpersonne="P0000099")
    owner_services.housing_owners_update(
        housing=first,
        ranks={dupont.pk: OwnerRank.SECONDARY_2, martin.pk: OwnerRank.PRIMARY},
        by=UserFactory(),
    )
    owner_services.housing_owner_create(
        housing=first, rank=OwnerRank.SECONDARY_2, by=UserFactory(), full_name="X"
    )
    HousingOwner.objects.update(source_rank=None)  # as before the column existed

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    sources = {
        (link.housing.local_id, link.owner.idpersonne or link.owner.full_name): link.source_rank
        for link in HousingOwner.objects.select_related("housing", "owner")
    }
    assert sources == {
        # Ranked by an agent: kept as the agent's at the next import.
        ("590000000001", "P0000001"): None,
        ("590000000001", "P0000099"): None,
        ("590000000001", "X"): None,  # entered by hand
        ("590000000002", "P0000002"): 1,
    }
