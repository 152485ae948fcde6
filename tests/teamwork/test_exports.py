import csv
import datetime
import io
from pathlib import Path

import pytest

from tests.factories import HousingFactory, HousingOwnerFactory, OwnerFactory, UserFactory
from tests.teamwork.conftest import text_of
from tests.teamwork.xlsx import read_xlsx
from zlv.housing import owner_services
from zlv.housing.models import HousingPrecision, Owner, Precision
from zlv.teamwork import exports, services
from zlv.teamwork.exports import HEADERS
from zlv.teamwork.models import ExportJob

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    content = b"".join(response.streaming_content)
    return content, list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def detailed(douai, agent, establishment, colleague):
    """A dwelling with every exported field filled in, followed by `colleague`."""
    housing = HousingFactory(
        geo_code="59178",
        local_id="591780000001",
        invariant="0123456789",
        plot_id="59178000AB0012",
        address_dgfip="12 RUE DE BELLAING",
        ban_address="12 Rue de Bellaing 59500 Douai",
        ban_score=0.87,
        latitude=50.3714,
        longitude=3.0799,
        housing_kind="APPART",
        actual_dpe="F",
        living_area=85,
        rooms_count=4,
        building_year=1930,
        occupancy="V",
        vacancy_start_year=2018,
        status=3,
        sub_status="En accompagnement",
    )
    owner = OwnerFactory(
        full_name="DURAND/MARIE CLAIRE",
        birth_date=datetime.date(1950, 3, 9),
        kind="sci-copro",
        address_dgfip="4 PLACE D'ARMES 59500 DOUAI",
        additional_address="Bâtiment B",
    )
    HousingOwnerFactory(housing=housing, owner=owner, rank=1, locprop_source=2)
    for category, label in (
        ("blocage-involontaire", "Succession en cours"),
        ("travaux", "En cours"),
        ("dispositifs-incitatifs", "Ma Prime Renov"),
        ("dispositifs-coercitifs", "Permis de louer"),
    ):
        HousingPrecision.objects.create(
            housing=housing, precision=Precision.objects.get(category=category, label=label)
        )
    services.referent_assign(
        establishment=establishment, user_filters_selection=[housing.pk], referent=colleague, by=agent
    )
    return housing


def test_csv_columns_labels_and_format(client, agent, detailed):
    client.force_login(agent)
    response = client.get(f"/exports/logements.csv?housingIds={detailed.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.date.today().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="{today}-logements.csv"'
    content, rows = read_csv(response)
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    assert content.splitlines()[0].count(b";") == len(HEADERS) - 1
    assert rows[0] == HEADERS
    assert len(rows) == 2
    cells = dict(zip(HEADERS, rows[1], strict=True))
    assert cells == {
        "Identifiant fiscal national": "591780000001",
        "Identifiant fiscal départemental": "0123456789",
        "Référence cadastrale": "59178000AB0012",
        "Code INSEE commune du logement": "59178",
        "Commune du logement": "Douai",
        "Adresse LOVAC du logement": "12 RUE DE BELLAING",
        "Adresse BAN du logement": "12 Rue de Bellaing 59500 Douai",
        "Adresse BAN du logement - Fiabilité (%)": "87",
        "Latitude": "50,3714",
        "Longitude": "3,0799",
        "Type de logement": "Appartement",
        "Étiquette DPE renseignée": "F",
        "Surface (m²)": "85",
        "Nombre de pièces": "4",
        "Année de construction": "1930",
        "Occupation": "Vacant",
        "Année de début de vacance": "2018",
        "Statut de suivi": "Suivi en cours",
        "Sous-statut de suivi": "En accompagnement",
        "Points de blocage": "Succession en cours",
        "Évolutions du logement": "Travaux : En cours",
        "Dispositifs": "Ma Prime Renov\nPermis de louer",
        "Agent référent": "Dominique Petit",
        "Propriétaire destinataire principal": "DURAND Marie Claire",
        "Date de naissance du propriétaire": "09/03/1950",
        "Type de propriétaire": "SCI, Copropriété, Autres personnes morales",
        "Adresse LOVAC du propriétaire": "4 PLACE D'ARMES 59500 DOUAI",
        "Adresse d’envoi du courrier": "4 PLACE D'ARMES 59500 DOUAI",
        "Complément d’adresse du propriétaire": "Bâtiment B",
        "Localisation du propriétaire": "Habite dans le même département",
        "Ne pas contacter": "Non",
    }


def test_csv_exports_only_the_selection_in_the_perimeter(client, agent, dwellings, elsewhere):
    client.force_login(agent)
    first, second, third = dwellings
    _, rows = read_csv(client.get(f"/exports/logements.csv?housingIds={first.pk},{third.pk}"))
    assert [row[5] for row in rows[1:]] == ["1 RUE DE BELLAING", "3 RUE DE BELLAING"]
    # A dwelling picked outside the perimeter is not found; "all" never reaches beyond it.
    assert client.get(f"/exports/logements.csv?housingIds={first.pk},{elsewhere.pk}").status_code == 404
    _, rows = read_csv(client.get("/exports/logements.csv?all=true"))
    assert len(rows) == 4
    # "All matching but one", with a filter.
    _, rows = read_csv(client.get(f"/exports/logements.csv?all=true&housingIds={first.pk}&statusList=0,1"))
    assert [row[5] for row in rows[1:]] == ["2 RUE DE BELLAING"]


def test_csv_neutralises_spreadsheet_formulas(client, agent, douai):
    housing = HousingFactory(geo_code="59178")
    HousingOwnerFactory(housing=housing, owner=OwnerFactory(full_name="=1+2"), rank=1)
    client.force_login(agent)
    _, rows = read_csv(client.get(f"/exports/logements.csv?housingIds={housing.pk}"))
    assert rows[1][HEADERS.index("Propriétaire destinataire principal")] == "'=1+2"


def test_mailing_exports_leave_out_unreachable_owners_and_say_how_many(client, agent, dwellings):
    without_owner = HousingFactory(geo_code="59178", address_dgfip="9 RUE SANS PROPRIETAIRE")
    client.force_login(agent)
    ids = ",".join(str(h.pk) for h in [*dwellings, without_owner])

    page = text_of(client.get(f"/exports/logements?housingIds={ids}&purpose=courrier"))
    assert "4 logements, avec leur destinataire principal" in page
    assert "2 logements : seulement les logements dont le destinataire principal" in page
    sentence = (
        "2 logements exclus de cet export pour courrier : 1 logement sans destinataire principal, "
        "1 logement dont le destinataire principal a demandé à ne pas être contacté."
    )
    assert sentence in page

    response = client.get(f"/exports/logements.csv?housingIds={ids}&purpose=courrier")
    assert response["Content-Disposition"].endswith('-logements-courrier.csv"')
    _, rows = read_csv(response)
    assert [row[5] for row in rows[1:-1]] == ["1 RUE DE BELLAING", "2 RUE DE BELLAING"]
    assert rows[-1] == [sentence]

    # A data export keeps every dwelling and has no note.
    _, rows = read_csv(client.get(f"/exports/logements.csv?housingIds={ids}"))
    assert len(rows) == 5
    assert rows[3][HEADERS.index("Ne pas contacter")] == "Oui"


def test_mailing_address_is_the_typed_postal_address_when_there_is_one(client, agent, dwellings):
    first, second, _ = dwellings
    owner = first.owner_links.get(rank=1).owner
    owner_services.owner_update_contact(
        owner=owner,
        by=agent,
        postal_address_line="8 rue Gambetta",
        postal_code="59000",
        postal_city="Lille",
    )
    Owner.objects.filter(pk=second.owner_links.get(rank=1).owner_id).update(
        address_dgfip="2 RUE FISCALE 59500 DOUAI"
    )
    client.force_login(agent)

    _, rows = read_csv(
        client.get(f"/exports/logements.csv?housingIds={first.pk},{second.pk}&purpose=courrier")
    )

    index = HEADERS.index("Adresse d’envoi du courrier")
    assert [row[index] for row in rows[1:-1]] == ["8 rue Gambetta, 59000 Lille", "2 RUE FISCALE 59500 DOUAI"]
    # The fiscal address stays in its own column.
    assert rows[1][HEADERS.index("Adresse LOVAC du propriétaire")] == owner.address_dgfip


def test_xlsx_written_in_the_request_reads_back(client, agent, detailed, dwellings):
    client.force_login(agent)
    ids = ",".join(str(h.pk) for h in [detailed, *dwellings])
    response = client.get(f"/exports/logements.xlsx?housingIds={ids}&purpose=courrier")
    assert response.status_code == 200
    assert response["Content-Type"] == exports_content_type()
    assert response["Content-Disposition"].endswith('-logements-courrier.xlsx"')
    sheets = read_xlsx(b"".join(response.streaming_content))
    assert list(sheets) == ["Logements", "Exclusions"]
    rows = sheets["Logements"]
    assert rows[0] == HEADERS
    assert len(rows) == 4  # the do-not-contact owner's dwelling is left out
    cells = dict(zip(HEADERS, rows[1], strict=False))
    assert cells["Identifiant fiscal national"] == "591780000001"
    assert cells["Type de logement"] == "Appartement"
    assert cells["Statut de suivi"] == "Suivi en cours"
    assert float(cells["Latitude"]) == pytest.approx(50.3714)
    assert cells["Surface (m²)"] == "85"
    # Dates are real dates (a serial number displayed with dd/mm/yyyy).
    assert cells["Date de naissance du propriétaire"] == str(
        (datetime.date(1950, 3, 9) - datetime.date(1899, 12, 30)).days
    )
    assert cells["Dispositifs"] == "Ma Prime Renov\nPermis de louer"
    assert sheets["Exclusions"][1] == [
        "1 logement exclu de cet export pour courrier : 1 logement dont le destinataire principal "
        "a demandé à ne pas être contacté."
    ]


def exports_content_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_large_xlsx_runs_in_the_background_and_only_its_author_downloads_it(
    client, agent, colleague, outsider, dwellings, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(exports, "XLSX_SYNC_LIMIT", 2)
    client.force_login(agent)
    url = "/exports/logements.xlsx?all=true&purpose=courrier"
    confirm = client.get(url)
    assert "3 logements à exporter." in text_of(confirm)
    assert not ExportJob.objects.exists()  # a GET never starts anything

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.pk}"
    assert job.status == "succeeded"
    assert (job.total, job.done, job.excluded_do_not_contact, job.excluded_without_owner) == (3, 3, 1, 0)
    assert Path(job.file.path).parent == Path(settings.MEDIA_ROOT) / "exports"

    progress = client.get(response["Location"], headers={"HX-Request": "true"})
    page = text_of(progress)
    assert "Le fichier est prêt" in page and "1 logement dont le destinataire principal" in page
    assert "hx-trigger" not in progress.content.decode()  # polling stops
    download = client.get(f"/exports/{job.pk}/telecharger")
    assert download.status_code == 200
    sheets = read_xlsx(b"".join(download.streaming_content))
    assert len(sheets["Logements"]) == 3  # header + 2 reachable dwellings

    for other in (colleague, outsider):
        client.force_login(other)
        assert client.get(f"/exports/{job.pk}").status_code == 404
        assert client.get(f"/exports/{job.pk}/telecharger").status_code == 404


def test_export_progress_polls_while_running(client, agent, establishment):
    job = ExportJob.objects.create(
        establishment=establishment,
        created_by=agent,
        total=10_000,
        done=4000,
        status="running",
        file_name="x.xlsx",
    )
    client.force_login(agent)
    response = client.get(f"/exports/{job.pk}")
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert "4 000 logements écrits sur 10 000 (40 %)" in text_of(
        response
    )  # text_of turns every space into " "


def test_background_export_of_a_deleted_group_fails_cleanly(agent, establishment, dwellings, settings):
    from zlv.teamwork import export_jobs

    group = services.group_create(
        establishment=establishment, by=agent, title="G", description="D", filters_or_ids=[dwellings[0].pk]
    )
    job = ExportJob.objects.create(
        establishment=establishment,
        created_by=agent,
        filters={"filters": {}, "group_id": group.pk},
        file_name="g.xlsx",
    )
    services.group_delete(group=group, by=agent)
    job = export_jobs.export_job_run(job_id=job.pk)
    assert job.status == "failed"
    assert "supprimé" in job.error
    assert not any((Path(settings.MEDIA_ROOT) / "exports").glob("*.xlsx"))


def test_group_exports(client, agent, outsider, establishment, dwellings):
    group = services.group_create(
        establishment=establishment,
        by=agent,
        title="Centre-ville été",
        description="D",
        filters_or_ids=[dwellings[0].pk, dwellings[1].pk],
    )
    client.force_login(agent)
    response = client.get(f"/groupes/{group.pk}/export.csv")
    today = datetime.date.today().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="{today}-centre-ville-ete.csv"'
    _, rows = read_csv(response)
    assert len(rows) == 3
    xlsx = client.get(f"/groupes/{group.pk}/export.xlsx")
    assert len(read_xlsx(b"".join(xlsx.streaming_content))["Logements"]) == 3
    assert "2 logements, avec leur destinataire principal" in text_of(
        client.get(f"/groupes/{group.pk}/exporter")
    )

    client.force_login(outsider)
    for url in ("export.csv", "export.xlsx", "exporter"):
        assert client.get(f"/groupes/{group.pk}/{url}").status_code == 404


def test_invalid_filters_are_explained_not_exported(client, agent):
    client.force_login(agent)
    response = client.get("/exports/logements.csv?statusList=9")
    assert response.status_code == 400
    assert "Valeur non reconnue pour « Statut de suivi »." in text_of(response)


def test_visitors_may_export(client, visitor, dwellings):
    client.force_login(visitor)
    assert client.get("/exports/logements.csv?all=true").status_code == 200


def test_user_without_establishment_gets_404(client, dwellings):
    client.force_login(UserFactory())
    assert client.get("/exports/logements.csv?all=true").status_code == 404
