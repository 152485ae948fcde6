import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    OwnerFactory,
    PerimeterFactory,
    UserFactory,
)
from zlv.accounts.enums import Role
from zlv.accounts.services import system_user
from zlv.housing.models import Building, Event, HousingPrecision, Note, Precision

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, hour, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _offline_map(settings):
    """No base map: tests never reach the network."""
    settings.MAP_STYLE_URL = ""


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178", name="Douai")


@pytest.fixture
def agent(douai):
    establishment = EstablishmentFactory(name="Communauté d’Agglomération du Douaisis", communes=[douai])
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.fixture
def housing(douai):
    building = Building.objects.create(id="59178000A0001", housing_count=8, vacant_housing_count=3)
    return HousingFactory(
        geo_code="59178",
        local_id="591780012345",
        invariant="1780012345",
        address_dgfip="12 RUE DE BELLAING, DOUAI",
        ban_address="12 Rue de Bellaing 59500 Douai",
        latitude=50.3703,
        longitude=3.0794,
        housing_kind="APPART",
        living_area=54,
        rooms_count=3,
        cadastral_classification=6,
        actual_dpe="E",
        building=building,
        building_year=1932,
        condominium="CL",
        cadastral_reference="AB",
        plot_id="591780000AB0123",
        plot_area=412,
        vacancy_start_year=timezone.now().year - 7,
        occupancy="V",
        occupancy_intended="L",
        status=3,
        sub_status="En accompagnement",
        last_mutation_year=2019,
        last_transaction_date=datetime.date(2019, 6, 14),
        last_transaction_value=98500,
        data_file_years=["lovac-2024", "lovac-2025"],
    )


@pytest.fixture
def primary_owner(housing):
    owner = OwnerFactory(
        full_name="LEFEBVRE/MARIE LOUISE",
        birth_date=datetime.date(1950, 1, 2),
        kind="particulier",
        address_dgfip="4 PLACE D ARMES 59500 DOUAI",
        additional_address="Résidence Les Tilleuls",
        email="marie.lefebvre@example.test",
        phone="06 12 34 56 78",
        do_not_contact=True,
    )
    HousingOwnerFactory(housing=housing, owner=owner, rank=1, property_right="usufruitier", locprop_source=2)
    return owner


@pytest.fixture
def record(housing, primary_owner):
    """A dwelling with a primary, a secondary and a former owner, précisions, notes and events."""
    secondary = OwnerFactory(full_name="SCI DES LILAS", kind="sci-copro", siren="812345678")
    HousingOwnerFactory(
        housing=housing, owner=secondary, rank=2, property_right="nu-proprietaire", locprop_source=6
    )
    former = OwnerFactory(full_name="MARTIN/PAUL")
    HousingOwnerFactory(housing=housing, owner=former, rank=0, property_right="proprietaire-entier")
    deceased = OwnerFactory(full_name="MARTIN/ANNE")
    HousingOwnerFactory(housing=housing, owner=deceased, rank=-3)
    # Another dwelling of the primary owner in the perimeter, one outside it.
    HousingOwnerFactory(housing=HousingFactory(geo_code="59178"), owner=primary_owner, rank=1)
    HousingOwnerFactory(housing=HousingFactory(geo_code="59606"), owner=primary_owner, rank=1)
    for category, label in [
        ("dispositifs-incitatifs", "Conventionnement avec travaux"),
        ("blocage-involontaire", "Succession en cours"),
        ("travaux", "En cours"),
    ]:
        HousingPrecision.objects.create(
            housing=housing, precision=Precision.objects.get(category=category, label=label)
        )
    return housing


@pytest.fixture
def history(record, agent, primary_owner):
    robot = system_user()
    events = [
        ("housing:created", None, {"source": "lovac-2024", "occupancy": "Vacant"}, robot, at(1)),
        (
            "housing:status-updated",
            {"status": "Non suivi"},
            {"status": "Suivi en cours", "subStatus": "En accompagnement"},
            agent,
            at(3),
        ),
        (
            "housing:occupancy-updated",
            {"occupancyIntended": None},
            {"occupancyIntended": "En location"},
            agent,
            at(4),
        ),
        (
            "housing:precision-attached",
            None,
            {"category": "dispositifs-incitatifs", "label": "Conventionnement avec travaux"},
            agent,
            at(5),
        ),
        (
            "housing:owner-updated",
            {"name": "MARTIN/PAUL", "rank": 1},
            {"name": "MARTIN/PAUL", "rank": 0},
            robot,
            at(6),
        ),
    ]
    for kind, old, new, author, created_at in events:
        Event.objects.create(
            kind=kind, housing=record, old=old, new=new, created_by=author, created_at=created_at
        )
    Event.objects.create(
        kind="owner:updated",
        owner=primary_owner,
        old={"name": "LEFEBVRE/MARIE LOUISE", "phone": None},
        new={"name": "LEFEBVRE/MARIE LOUISE", "phone": "06 12 34 56 78"},
        created_by=agent,
        created_at=at(7),
    )
    # Hidden: an owner's creation; another dwelling's event.
    Event.objects.create(
        kind="owner:created", owner=primary_owner, new={}, created_by=robot, created_at=at(8)
    )
    Event.objects.create(
        kind="housing:status-updated",
        housing=HousingFactory(geo_code="59178"),
        old={"status": "Non suivi"},
        new={"status": "Premier contact"},
        created_by=agent,
        created_at=at(9),
    )
    Note.objects.create(
        housing=record,
        content="Appel de la propriétaire : travaux prévus.",
        created_by=agent,
        created_at=at(10),
    )
    Note.objects.create(
        housing=record, content="Note supprimée", created_by=agent, created_at=at(11), deleted_at=at(12)
    )
    return record


def text_of(response) -> str:
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_header_shows_address_ids_badges_and_provenance(client, agent, record):
    client.force_login(agent)

    response = client.get(f"/logements/{record.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<h1[^>]*>12 RUE DE BELLAING, DOUAI</h1>", html)
    text = text_of(response)
    assert "Identifiant fiscal national : 591780012345" in text
    assert "Occupation : Vacant" in text
    assert 'fr-badge--orange-terre-battue">' in html
    assert "Statut de suivi : Suivi en cours" in text
    assert "Sous-statut : En accompagnement" in text
    assert "Source des informations : LOVAC (2024, 2025)" in text
    assert "Accueil Parc de logements 12 RUE DE BELLAING, DOUAI" in text
    # Campaigns and groups do not exist yet: no empty tab for them.
    assert re.findall(r'role="tab"[^>]*>([^<]+)<', html) == [
        "Logement et bâtiment",
        "Suivi",
        "Documents",
        "Notes et historique",
    ]


def test_owners_column(client, agent, record, primary_owner):
    client.force_login(agent)

    text = text_of(client.get(f"/logements/{record.pk}"))

    owners = section(text, "Propriétaires", "Logement et bâtiment")
    age = (
        datetime.date.today().year
        - 1950
        - (datetime.date.today() < datetime.date(datetime.date.today().year, 1, 2))
    )
    primary = section(owners, "Destinataire principal", "Destinataire secondaire")
    for expected in [
        "LEFEBVRE Marie Louise",
        "Ne pas contacter",
        "Nom et prénom (Fichiers fonciers) LEFEBVRE/MARIE LOUISE",
        f"Date de naissance 02/01/1950 ({age} ans)",
        "Type de propriétaire Particulier",
        "Nature du droit Usufruitier",
        "Adresse fiscale (source : DGFIP) 4 PLACE D ARMES 59500 DOUAI",
        "Complément d’adresse Résidence Les Tilleuls",
        "Adresse e-mail marie.lefebvre@example.test",
        "Téléphone 06 12 34 56 78",
        "Lieu de résidence Habite dans le même département",
        # Two dwellings in the perimeter, not the third one in Valenciennes.
        "Voir tous ses logements (2)",
    ]:
        assert expected in primary
    assert "SIREN" not in primary
    secondary = section(owners, "Destinataire secondaire", "Anciens propriétaires")
    assert "SCI DES LILAS" in secondary
    assert "Type de propriétaire : SCI, Copropriété, Autres personnes morales" in secondary
    assert "Nature du droit : Nu-propriétaire" in secondary
    assert "Lieu de résidence : Habite à l’étranger" in secondary
    assert "Voir tous ses logements" not in secondary
    inactive = owners[owners.index("Anciens propriétaires et propriétaires archivés (2)") :]
    assert "MARTIN Paul Ancien propriétaire · Plein propriétaire" in inactive
    assert "MARTIN Anne Propriétaire décédé · Pas d’information" in inactive
    html = client.get(f"/logements/{record.pk}").content.decode()
    assert f'href="/parc-de-logements?ownerIds={primary_owner.pk}"' in html
    assert f'href="/proprietaires/{primary_owner.pk}"' in html
    assert 'aria-controls="proprietaires-archives"' in html and 'aria-expanded="false"' in html


def test_housing_and_building_tab(client, agent, record):
    client.force_login(agent)

    response = client.get(f"/logements/{record.pk}")

    text = text_of(response)
    details = section(text, "Informations sur le logement", "Suivi du logement")
    for expected in [
        "Type Appartement",
        "Surface 54 m²",
        "Pièces 3",
        "Classement cadastral 6 - Ordinaire",
        "Étiquette DPE renseignée E",
        "Identifiant fiscal départemental 1780012345",
        "Date de construction 1932",
        "Type de propriété Copropriété",
        "Nombre de logements 8",
        "Taux de vacance 38 %",
        "Référence cadastrale AB",
        "Parcelle 591780000AB0123",
        "Surface de la parcelle 412 m²",
        "Adresse postale (source : Base Adresse Nationale) 12 Rue de Bellaing 59500 Douai",
        "Occupation actuelle Vacant",
        f"Année de début de vacance déclarée {timezone.now().year - 7} (7 ans)",
        "Occupation prévisionnelle En location",
        "Dernière mutation 2019",
        "Dernière vente (DVF) 14/06/2019 — 98 500 €",
    ]:
        assert expected in details, expected
    assert "Localisation inconnue" not in details
    html = response.content.decode()
    assert 'data-zlv-housing-map="donnees-carte-logement"' in html
    assert re.search(r'<script id="donnees-carte-logement" type="application/json">', html)
    assert '"longitude": 3.0794, "latitude": 50.3703, "styleUrl": ""' in html
    assert re.search(r'<script type="module"\s+src="/static/js/housing_record_map.js"\s+nonce="', html)


def test_base_map_style_comes_from_the_setting(client, agent, record, settings):
    settings.MAP_STYLE_URL = "https://tiles.example.test/style.json"
    client.force_login(agent)

    html = client.get(f"/logements/{record.pk}").content.decode()

    assert '"styleUrl": "https://tiles.example.test/style.json"' in html


def test_unknown_location_and_missing_information(client, agent, douai):
    bare = HousingFactory(
        geo_code="59178", address_dgfip="", local_id="591780099999", vacancy_start_year=None, condominium=""
    )
    client.force_login(agent)

    response = client.get(f"/logements/{bare.pk}")

    text = text_of(response)
    assert "Logement 591780099999" in text
    assert "Localisation inconnue" in text
    assert "donnees-carte-logement" not in response.content.decode()
    assert "housing_record_map.js" not in response.content.decode()
    assert "Surface Pas d’information" in text
    assert "Type de propriété Monopropriété" in text
    assert "Taux de vacance Pas d’information" in text
    assert "Année de début de vacance déclarée Pas d’information" in text
    assert "Aucun destinataire principal" in text
    assert "Aucune note ni mise à jour pour ce logement." in text


def test_follow_up_tab(client, agent, record):
    client.force_login(agent)

    text = text_of(client.get(f"/logements/{record.pk}"))

    follow_up = section(text, "Suivi du logement", "Type d’événement")
    assert "Statut de suivi Suivi en cours" in follow_up
    assert "Sous-statut de suivi En accompagnement" in follow_up
    assert "Dispositifs Dispositifs incitatifs Conventionnement avec travaux" in follow_up
    assert "Points de blocage Blocage involontaire Succession en cours" in follow_up
    assert "Évolutions du logement Travaux En cours" in follow_up


def test_blocked_status_badge_reads_bloque(client, agent, douai):
    blocked = HousingFactory(geo_code="59178", status=5, sub_status="Tiers en cause")
    client.force_login(agent)

    response = client.get(f"/logements/{blocked.pk}")

    assert 'fr-badge--purple-glycine">' in response.content.decode()
    assert "Statut de suivi : Bloqué" in text_of(response)


def test_history_merges_notes_and_events_newest_first(client, agent, history):
    client.force_login(agent)

    text = text_of(client.get(f"/logements/{history.pk}"))

    timeline = text[text.index("Type d’événement") :]
    expected = [
        "Note Camille Martin a rédigé une note le 10 mars 2025 à 11:00"
        " Appel de la propriétaire : travaux prévus.",
        "Mise à jour Camille Martin a mis à jour les informations d’un propriétaire le 7 mars 2025 à 11:00"
        " Propriétaire : LEFEBVRE Marie Louise Informations modifiées : téléphone",
        "Mise à jour Zéro Logement Vacant (import LOVAC) a mis à jour le rang d’un propriétaire"
        " le 6 mars 2025 à 11:00 MARTIN Paul : Destinataire principal → Ancien propriétaire",
        "Mise à jour Camille Martin a ajouté la précision « Conventionnement avec travaux »"
        " le 5 mars 2025 à 11:00 Catégorie : Dispositifs incitatifs",
        "Mise à jour Camille Martin a mis à jour le statut d’occupation le 4 mars 2025 à 11:00"
        " Occupation prévisionnelle : Pas d’information → En location",
        "Mise à jour Camille Martin a mis à jour le statut de suivi le 3 mars 2025 à 11:00"
        " Statut de suivi : Non suivi → Suivi en cours Sous-statut : Pas d’information → En accompagnement",
        "Mise à jour Zéro Logement Vacant (import LOVAC) a ajouté ce logement le 1 mars 2025 à 11:00"
        " Source : LOVAC 2024 Occupation : Vacant",
    ]
    positions = [timeline.index(sentence) for sentence in expected]
    assert positions == sorted(positions)
    assert "Note supprimée" not in timeline
    assert "Premier contact" not in timeline  # another dwelling's event
    assert timeline.count("Mise à jour ") == 6  # owner:created is not shown


def test_history_filter_by_type(client, agent, history):
    client.force_login(agent)

    notes = text_of(client.get(f"/logements/{history.pk}", {"type": "note"}))
    updates = text_of(client.get(f"/logements/{history.pk}", {"type": "update"}))
    unknown = text_of(client.get(f"/logements/{history.pk}", {"type": "nimporte"}))

    assert "a rédigé une note" in notes and "a mis à jour" not in notes
    assert "a rédigé une note" not in updates and "a mis à jour le statut de suivi" in updates
    assert "a rédigé une note" in unknown and "a mis à jour le statut de suivi" in unknown


def test_history_filter_opens_the_history_tab(client, agent, history):
    client.force_login(agent)

    default = client.get(f"/logements/{history.pk}").content.decode()
    filtered = client.get(f"/logements/{history.pk}", {"type": "note"}).content.decode()

    selected = r'id="{}-panneau"\s+class="fr-tabs__panel fr-tabs__panel--selected"'
    assert re.search(selected.format("onglet-logement"), default)
    assert re.search(selected.format("onglet-historique"), filtered)
    assert re.search(r'id="historique-type-note"\s+name="type"', filtered)
    assert re.search(r'value="note"\s+checked', filtered)


def test_history_htmx_fragment(client, agent, history, django_assert_max_num_queries):
    client.force_login(agent)

    # session, user, the perimeter's codes, the dwelling, events, the membership (may the user
    # edit notes?), the two savepoints of ATOMIC_REQUESTS.
    with django_assert_max_num_queries(8):
        response = client.get(
            f"/logements/{history.pk}",
            {"type": "update"},
            headers={"HX-Request": "true", "HX-Target": "historique-logement"},
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert "a mis à jour le statut de suivi" in html
    assert "a rédigé une note" not in html


def test_empty_history_messages_per_filter(client, agent, douai):
    bare = HousingFactory(geo_code="59178")
    client.force_login(agent)

    assert "Aucune note sur ce logement." in text_of(client.get(f"/logements/{bare.pk}", {"type": "note"}))
    assert "Aucune mise à jour enregistrée" in text_of(
        client.get(f"/logements/{bare.pk}", {"type": "update"})
    )


def test_location_lists_the_establishment_perimeters_containing_the_dwelling(client, agent, housing, douai):
    mine = agent.active_establishment
    PerimeterFactory(establishment=mine, name="Centre ancien", kind="OPAH-RU", housings=[housing])
    PerimeterFactory(establishment=mine, name="Quartier de la gare", kind="ORT")  # not around it
    # The département covers Douai too: its perimeter around the dwelling is not the agent's.
    departement = EstablishmentFactory(name="Département du Nord", communes=[douai])
    PerimeterFactory(
        establishment=departement, name="Zone départementale", kind="OPAH-RU", housings=[housing]
    )
    client.force_login(agent)

    response = client.get(f"/logements/{housing.pk}")

    listed = section(text_of(response), "Périmètres", "Vie du logement")
    assert "Centre ancien (OPAH-RU)" in listed
    assert "gare" not in listed and "départementale" not in listed
    assert (
        'href="/parc-de-logements?geoPerimetersIncluded=OPAH-RU">Centre ancien</a>'
        in response.content.decode()
    )


def test_location_says_when_no_perimeter_contains_the_dwelling(client, agent, housing):
    client.force_login(agent)

    listed = section(text_of(client.get(f"/logements/{housing.pk}")), "Périmètres", "Vie du logement")

    assert "Dans aucun périmètre de votre structure" in listed


def test_other_establishment_gets_404(client, record, douai):
    valenciennes = CommuneFactory(code="59606", name="Valenciennes")
    outsider = UserFactory(establishment=EstablishmentFactory(communes=[valenciennes]))
    client.force_login(outsider)

    response = client.get(f"/logements/{record.pk}")

    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()
    assert "12 RUE DE BELLAING" not in response.content.decode()
    htmx = client.get(
        f"/logements/{record.pk}", headers={"HX-Request": "true", "HX-Target": "historique-logement"}
    )
    assert htmx.status_code == 404


def test_unknown_dwelling_gets_404(client, agent):
    client.force_login(agent)

    assert client.get("/logements/999999").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, record):
    response = client.get(f"/logements/{record.pk}")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_visitor_can_read(client, record, douai):
    visitor = UserFactory(
        establishment=EstablishmentFactory(communes=[douai]), establishment__role=Role.VISITOR
    )
    client.force_login(visitor)

    response = client.get(f"/logements/{record.pk}")

    assert response.status_code == 200
    assert "12 RUE DE BELLAING, DOUAI" in text_of(response)
    assert visitor.memberships.get().role == Role.VISITOR


def test_only_get_and_head(client, agent, record):
    client.force_login(agent)

    assert client.post(f"/logements/{record.pk}").status_code == 405


def add_owners_and_history(housing, author, count: int) -> None:
    for rank in range(count):
        HousingOwnerFactory(housing=housing, rank=[2, 3, 0, -1, -3][rank % 5] if rank else 2)
    for _ in range(count):
        Event.objects.create(
            kind="housing:status-updated",
            housing=housing,
            old={"status": "Non suivi"},
            new={"status": "Premier contact"},
            created_by=author,
        )
        Note.objects.create(housing=housing, content="Relance", created_by=author)


# Measured: 13, whatever the number of owners, précisions, notes, events and documents.
# + referent and groups (teamwork), + the perimeter's codes, + the dwelling's campaigns. Campaign
# events in the history add one more (tests/campaigns/test_list_and_record.py). + the establishment's
# perimeters containing the dwelling.
QUERY_BUDGET = 18


def test_query_budget_does_not_grow_with_owners_and_history(
    client, agent, history, django_assert_max_num_queries
):
    client.force_login(agent)

    # session, user, the dwelling (with its building), owner links (with owners), précisions, the
    # owners' dwelling counts, notes, events, memberships for the header, the active membership (may
    # the user edit?), the documents of the establishment, two savepoints.
    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(f"/logements/{history.pk}")
    add_owners_and_history(history, agent, 12)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(f"/logements/{history.pk}")
    assert text_of(response).count("a rédigé une note") == 13
