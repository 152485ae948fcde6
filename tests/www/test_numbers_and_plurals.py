"""Numbers and plurals as French writes them, the same on every page: "1 310", "0 logement"."""

import re
from pathlib import Path

import pytest

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    UserFactory,
)
from zlv.campaigns.services import campaign_create
from zlv.housing.models import BulkUpdateJob, Housing
from zlv.teamwork.models import ExportJob
from zlv.teamwork.services import group_create

pytestmark = pytest.mark.django_db
ZLV = Path(__file__).resolve().parents[2] / "zlv"


@pytest.fixture
def agent():
    douai = CommuneFactory(code="59178", name="Douai")
    return UserFactory(establishment=EstablishmentFactory(communes=[douai]))


def text_of(response) -> str:
    assert response.status_code == 200
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    # Spaces between tags only: the narrow no-break spaces of the numbers stay.
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def test_campaign_list_groups_thousands_like_every_other_page(client, agent):
    dwellings = Housing.objects.bulk_create([HousingFactory.build(geo_code="59178") for _ in range(1310)])
    group = group_create(
        establishment=agent.active_establishment,
        by=agent,
        title="Centre",
        description="Centre ancien",
        filters_or_ids=[housing.pk for housing in dwellings],
    )
    campaign_create(group=group, by=agent, title="Courrier")
    client.force_login(agent)

    text = text_of(client.get("/campagnes"))

    assert "Courrier" in text and " 1\u202f310 " in text
    assert "1310" not in text


def test_an_owner_without_current_dwelling_reads_in_the_singular(client, agent):
    owner = OwnerFactory(full_name="DURAND/MARIE")
    HousingOwnerFactory(owner=owner, rank=0, housing=HousingFactory(geo_code="59178"))
    client.force_login(agent)

    text = text_of(client.get(f"/proprietaires/{owner.pk}"))

    assert "Propriétaire actuel de 0 logement ;" in text


@pytest.mark.parametrize(
    ("done", "sentence"),
    [
        (0, "0 logement écrit sur 10\u202f000 (0 %)"),
        (4000, "4\u202f000 logements écrits sur 10\u202f000 (40 %)"),
    ],
)
def test_export_progress(client, agent, done, sentence):
    job = ExportJob.objects.create(
        establishment=agent.active_establishment,
        created_by=agent,
        total=10_000,
        done=done,
        status="running",
        file_name="x.xlsx",
    )
    client.force_login(agent)

    assert sentence in text_of(client.get(f"/exports/{job.pk}"))


@pytest.mark.parametrize(
    ("done", "sentence"),
    [(0, "0 logement modifié sur 1\u202f200 (0 %)"), (1, "1 logement modifié sur 1\u202f200 (0 %)")],
)
def test_bulk_edit_progress(client, agent, done, sentence):
    job = BulkUpdateJob.objects.create(
        establishment=agent.active_establishment, user=agent, total=1200, done=done, status="running"
    )
    client.force_login(agent)

    assert sentence in text_of(client.get(f"/parc-de-logements/edition-groupee/{job.pk}"))


def test_numbers_and_plurals_go_through_the_one_helper():
    """`pluralize` writes "0 logements", `floatformat`/`intcomma` and `f"{n:,}"` group in their own
    way: pages, e-mails and messages use zlv.utils.numbers (and its template filters) instead."""
    ad_hoc = re.compile(r"\|(pluralize|intcomma|floatformat)\b|[<>]=? ?1 %\}s\{%")
    found = [
        f"{path.relative_to(ZLV)}:{number}"
        for path in ZLV.rglob("templates/**/*")
        if path.suffix in {".html", ".txt"}
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ad_hoc.search(line)
    ]
    grouping = re.compile(r"\{[^{}]*:[,_](\.\d+f)?\}|'s' if |\"s\" if ")
    found += [
        f"{path.relative_to(ZLV)}:{number}"
        for path in ZLV.rglob("*.py")
        # Commands write for operators in a terminal, not in the pages.
        if "management" not in path.parts and path != ZLV / "utils" / "numbers.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if grouping.search(line)
    ]
    assert not found


def test_export_page_writes_the_background_threshold_in_french(client, agent, monkeypatch):
    from zlv.teamwork import exports

    monkeypatch.setattr(exports, "XLSX_SYNC_LIMIT", 1200)
    Housing.objects.bulk_create([HousingFactory.build(geo_code="59178") for _ in range(1201)])
    client.force_login(agent)

    assert "Au-delà de 1\u202f200 logements, le fichier Excel" in text_of(client.get("/exports/logements"))
