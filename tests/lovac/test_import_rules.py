"""Line rules: rejections, warnings, scope, duplicates, geography and the mapping to the model."""

import datetime

import pytest

from tests.lovac.conftest import MILLESIME, import_file, lovac_row
from zlv.housing.models import Building, Event, Housing, HousingOwner, Owner


def reasons(report, kind):
    return [(row["numéro de ligne"], row["colonne"], row["motif"]) for row in report if row["type"] == kind]


@pytest.mark.parametrize(
    ("values", "column", "reason_part"),
    [
        ({"ff_idlocal": ""}, "ff_idlocal", "manquant"),
        ({"ff_idlocal": "59000000001"}, "ff_idlocal", "12 caractères"),
        ({"ff_idlocal": "620000000001"}, "ff_idlocal", "code département 59"),
        ({"debutvacance": "1899"}, "debutvacance", "1900"),
        ({"debutvacance": str(MILLESIME + 1)}, "debutvacance", "1900"),
        ({"debutvacance": "deux mille"}, "debutvacance", "1900"),
        ({"debutvacance": ""}, "debutvacance", "1900"),
        ({"commune": "999"}, "commune", "inconnu"),
        ({"ccodep": "", "ff_idlocal": "590000000001"}, "commune", "inconnu"),
    ],
)
def test_rejected_lines(communes, tmp_path, values, column, reason_part):
    code, summary, report = import_file(tmp_path, [lovac_row(1), lovac_row(2, **values)])
    assert code == 0
    assert summary["rejected"] == 1
    assert summary["in_scope"] == 1
    rejected = reasons(report, "rejet")
    assert any(line == "3" and col == column and reason_part in reason for line, col, reason in rejected), (
        rejected
    )
    assert (
        not Housing.objects.filter(local_id=lovac_row(2, **values)["ff_idlocal"] or "-")
        .exclude(local_id=lovac_row(1)["ff_idlocal"])
        .exists()
    )


def test_wrong_number_of_fields_is_rejected(communes, tmp_path):
    path = tmp_path / "lovac.csv"
    code, summary, report = import_file(tmp_path, [lovac_row(1), lovac_row(2), lovac_row(3)])
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = text[2] + ";en trop"  # line 3: one field too many
    text[3] = ";".join(text[3].split(";")[:-3])  # line 4: three fields short
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    Housing.objects.all().delete()
    from tests.lovac.conftest import read_report, run_import

    code, summary = run_import(path, "--max-rejected", "10", "--report", str(tmp_path / "r.csv"))
    report = read_report(tmp_path / "r.csv")
    assert summary["rejected"] == 2
    assert [(row["numéro de ligne"], row["type"]) for row in report] == [("3", "rejet"), ("4", "rejet")]
    assert "Nombre de champs incorrect" in report[0]["motif"]


def test_corsica_and_overseas_communes(communes, tmp_path):
    rows = [
        lovac_row(
            1, ccodep="2A", commune="4", ff_idlocal="2A0000000001", ff_x_4326="8.7369", ff_y_4326="41.9192"
        ),
        lovac_row(
            2, ccodep="97", commune="411", ff_idlocal="970000000002", ff_x_4326="55.45", ff_y_4326="-20.88"
        ),
        lovac_row(
            3, ccodep="2a", commune="004", ff_idlocal="2A0000000003", ff_x_4326="55.4", ff_y_4326="-20.9"
        ),
    ]
    code, summary, report = import_file(tmp_path, rows)
    assert code == 0
    assert summary["in_scope"] == 3
    assert set(Housing.objects.values_list("geo_code", flat=True)) == {"2A004", "97411"}
    reunion = Housing.objects.get(geo_code="97411")
    assert (reunion.latitude, reunion.longitude) == (-20.88, 55.45)
    # Réunion coordinates on a Corsican dwelling: outside its territory → warning, left empty.
    assert reasons(report, "avertissement") == [
        ("4", "ff_x_4326/ff_y_4326", "Coordonnées hors de France : valeur ignorée")
    ]
    assert Housing.objects.get(local_id="2A0000000003").latitude is None


def test_one_digit_departement_is_padded(communes, tmp_path):
    from tests.factories import CommuneFactory, DepartmentFactory

    CommuneFactory(code="01053", name="Bourg-en-Bresse", department=DepartmentFactory(code="01", name="Ain"))
    rows = [
        lovac_row(1, ccodep="1", commune="53", ff_idlocal="010000000001", ff_x_4326="5.22", ff_y_4326="46.2")
    ]
    code, summary, _report = import_file(tmp_path, rows)
    assert summary["in_scope"] == 1
    assert Housing.objects.get().geo_code == "01053"


@pytest.mark.parametrize(
    ("values", "in_scope"),
    [
        ({}, True),
        ({"aff": "C"}, False),
        ({"nature": "DEPEND"}, False),
        ({"nature": "MAISON"}, True),
        ({"groupe": "5"}, False),
        ({"groupe": "9"}, False),
        ({"groupe": "0"}, True),
        ({"debutvacance": str(MILLESIME - 2)}, False),
        ({"debutvacance": str(MILLESIME - 3)}, True),
    ],
)
def test_scope(communes, tmp_path, values, in_scope):
    code, summary, report = import_file(tmp_path, [lovac_row(1, **values)])
    assert code == 0
    assert (summary["in_scope"], summary["out_of_scope"]) == ((1, 0) if in_scope else (0, 1))
    assert Housing.objects.exists() is in_scope
    assert report == []


def test_duplicates_keep_highest_vacancy_then_mutation_then_rental_value(communes, tmp_path):
    rows = [
        lovac_row(1, debutvacance="2010", invariant="A"),
        lovac_row(1, debutvacance="2012", anmutation="2000", invariant="B"),
        lovac_row(1, debutvacance="2012", anmutation="2005", vlcad="100", invariant="C"),
        lovac_row(1, debutvacance="2012", anmutation="2005", vlcad="900", invariant="D", ff_stoth="x"),
        lovac_row(2, anmutation="", invariant="E"),
        lovac_row(2, anmutation="2001", invariant="F"),
    ]
    code, summary, report = import_file(tmp_path, rows)
    assert (summary["in_scope"], summary["duplicates"]) == (2, 4)
    assert Housing.objects.get(local_id="590000000001").invariant == "D"
    assert Housing.objects.get(local_id="590000000002").invariant == "F"
    # Warnings of dropped duplicates are not reported; those of the kept line are.
    assert reasons(report, "avertissement") == [("5", "ff_stoth", "Nombre illisible : valeur ignorée")]
    assert Owner.objects.count() == 2


@pytest.mark.parametrize(
    ("column", "value", "reason_part"),
    [
        ("ff_stoth", "54m2", "Nombre illisible"),
        ("vlcad", "abc", "Nombre illisible"),
        ("ff_dcapec2", "12", "Classement cadastral"),
        ("ban_result_score", "1.7", "hors des bornes"),
        ("dvf_datemut", "2012-13-45", "Date illisible"),
        ("ff_jdatnss_1", "32/01/1950", "Date illisible"),
        ("ff_locprop_1", "8", "Localisation"),
        ("ff_x_4326", "abc", "Nombre illisible"),
    ],
)
def test_bad_optional_values_are_left_empty_with_a_warning(communes, tmp_path, column, value, reason_part):
    code, summary, report = import_file(tmp_path, [lovac_row(1, **{column: value})])
    assert code == 0
    assert summary["in_scope"] == 1
    assert summary["warnings"] == 1
    ((line, reported_column, reason),) = reasons(report, "avertissement")
    assert line == "2"
    assert reported_column.startswith(column.rsplit("_", 1)[0] if column.endswith("_1") else column)
    assert reason_part in reason


def test_coordinates_outside_france_and_lambert93(communes, tmp_path):
    rows = [
        lovac_row(3, ff_x_4326="", ff_y_4326="", ban_latitude="50.6", ban_longitude="3.1"),  # BAN fallback
        lovac_row(4, ff_x_4326="", ff_y_4326="", ban_latitude="-20.9", ban_longitude="55.4"),  # Réunion
        lovac_row(1, ff_x_4326="-74.0", ff_y_4326="40.7"),  # New York
        lovac_row(2, ff_x_4326="", ff_y_4326="", ff_x="704000", ff_y="7059000"),  # Lambert-93, Lille
    ]
    code, summary, report = import_file(tmp_path, rows)
    assert [(line, column, reason) for line, column, reason in reasons(report, "avertissement")] == [
        ("3", "ban_longitude/ban_latitude", "Coordonnées hors de France : valeur ignorée"),
        ("4", "ff_x_4326/ff_y_4326", "Coordonnées hors de France : valeur ignorée"),
    ]
    assert Housing.objects.get(local_id="590000000003").latitude == 50.6
    assert Housing.objects.get(local_id="590000000004").latitude is None
    new_york = Housing.objects.get(local_id="590000000001")
    # BAN coordinates are absent here: nothing is kept.
    assert new_york.latitude is None and new_york.longitude is None
    lille = Housing.objects.get(local_id="590000000002")
    assert lille.latitude == pytest.approx(50.63, abs=0.05)
    assert lille.longitude == pytest.approx(3.06, abs=0.05)


def test_owner_without_idpersonne_is_skipped_with_a_warning(communes, tmp_path):
    rows = [lovac_row(1, ff_idpersonne_1="", ff_ddenom_2="MARTIN/PAUL", ff_idpersonne_2="P9999999")]
    code, summary, report = import_file(tmp_path, rows)
    assert summary["warnings"] == 1
    assert reasons(report, "avertissement")[0][1] == "ff_idpersonne_1"
    link = HousingOwner.objects.get()
    assert (link.owner.idpersonne, link.rank) == ("P9999999", 1)


def test_mapping_to_the_model(communes, tmp_path):
    rows = [
        lovac_row(
            1,
            loc_num="0012",
            ff_dcapec2="7",
            ff_jannath="0",
            ff_ddenom_2="SCI DU NORD",
            ff_idpersonne_2="P7777777",
            ff_catpro3_2="G1a",
            ff_ccodro_2="U",
            ff_dsiren_2="123456789",
            ff_idprodroit_2="5935000000102",
            ff_locprop_2="3",
            cer_ff_adresse_2="1 PLACE DU THEATRE 59000 LILLE",
        )
    ]
    code, summary, _report = import_file(tmp_path, rows)
    assert code == 0
    housing = Housing.objects.get()
    assert housing.housing_kind == "APPART"
    assert housing.address_dgfip == "12 RUE DE LA PAIX, LILLE"
    assert housing.ban_address == "12 Rue de la Paix 59000 Lille"
    assert housing.ban_id == "59350_1234_00012"
    assert housing.ban_score == 0.93
    assert (housing.latitude, housing.longitude) == (50.6292, 3.0573)
    assert (housing.living_area, housing.rooms_count, housing.cadastral_classification) == (54, 3, 7)
    assert housing.uncomfortable is True  # class 7
    assert housing.building_year is None  # 0 = unknown
    assert housing.condominium == "CL"
    assert (housing.beneficiary_count, housing.rental_value, housing.taxed) == (1, 2450, True)
    assert housing.occupancy_source == "V"
    assert housing.building_id == "59350A000001"
    assert (housing.plot_id, housing.plot_area, housing.cadastral_reference) == (
        "59350000AB0012",
        320,
        "59350000AB",
    )
    assert housing.last_mutation_year == 2012
    assert housing.last_transaction_date == datetime.date(2012, 3, 15)
    assert housing.last_transaction_value == 98000
    assert housing.vacancy_start_year == 2015
    assert housing.data_file_years == [f"lovac-{MILLESIME}"]
    assert (housing.occupancy, housing.status, housing.sub_status, housing.data_source) == (
        "V",
        0,
        "",
        "lovac",
    )
    event = Event.objects.get(housing=housing, kind="housing:created")
    assert event.new == {"source": f"lovac-{MILLESIME}", "occupancy": "Vacant"}
    assert event.created_by.is_system
    assert event.import_run is not None

    building = Building.objects.get()
    assert (building.housing_count, building.vacant_housing_count) == (1, 1)

    primary, secondary = HousingOwner.objects.order_by("rank")
    assert (primary.rank, primary.owner.full_name, primary.property_right) == (
        1,
        "DUPONT/JEAN 1",
        "proprietaire-entier",
    )
    assert primary.owner.birth_date == datetime.date(1950, 5, 2)
    assert primary.owner.kind == "particulier"
    assert primary.owner.address_dgfip == "3 AVENUE FOCH 75016 PARIS"
    assert primary.owner.data_source == f"lovac-{MILLESIME}"
    assert (primary.idprocpte, primary.idprodroit, primary.locprop_source) == (
        "59350000001",
        "5935000000101",
        1,
    )
    assert (secondary.rank, secondary.owner.kind, secondary.property_right) == (2, "sci-copro", "usufruitier")
    assert (secondary.owner.siren, secondary.locprop_source) == ("123456789", 3)


@pytest.mark.parametrize(
    ("catpro3", "kind"),
    [
        ("X1a", "particulier"),
        ("G2b", "sci-copro"),
        ("M1a", "sci-copro"),
        ("F6a", "promoteur"),
        ("F7b", "promoteur"),
        ("F7a", "bailleur-social"),
        ("F1a", "bailleur-social"),
        ("F5c", "bailleur-social"),
        ("P1a", "etat-collectivite"),
        ("A1a", "autres"),
        ("Z9z", "autres"),
        ("", ""),
    ],
)
def test_owner_kind(communes, tmp_path, catpro3, kind):
    import_file(tmp_path, [lovac_row(1, ff_catpro3_1=catpro3)])
    assert Owner.objects.get().kind == kind


def test_uncomfortable_rules(communes, tmp_path):
    rows = [
        lovac_row(1, ff_dcapec2="5", ff_dnbwc="0", ff_dnbbai="1", ff_dnbdou="0"),
        lovac_row(2, ff_dcapec2="5", ff_dnbwc="1", ff_dnbbai="0", ff_dnbdou="0"),
        lovac_row(3, ff_dcapec2="5", ff_dnbwc="1", ff_dnbbai="0", ff_dnbdou="1"),
        lovac_row(4, ff_dcapec2="", ff_dnbwc="", ff_dnbbai="", ff_dnbdou=""),
    ]
    import_file(tmp_path, rows)
    values = dict(Housing.objects.values_list("local_id", "uncomfortable"))
    assert values == {
        "590000000001": True,
        "590000000002": True,
        "590000000003": False,
        "590000000004": None,
    }


def test_multi_owner_flag(communes, tmp_path):
    rows = [
        lovac_row(1, ff_idpersonne_1="P0000001"),
        lovac_row(2, ff_idpersonne_1="P0000001"),
        lovac_row(3, ff_idpersonne_1="P0000003", ff_ddenom_2="X", ff_idpersonne_2="P0000001"),
    ]
    code, summary, _report = import_file(tmp_path, rows)
    assert summary["owners_created"] == 2
    assert Owner.objects.get(idpersonne="P0000001").is_multi_owner is True
    assert Owner.objects.get(idpersonne="P0000003").is_multi_owner is False


def test_short_first_data_line_is_rejected(communes, tmp_path):
    from tests.lovac.conftest import read_report, run_import, write_lovac

    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1), lovac_row(2)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, "2025;590000000009;x")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, summary = run_import(path, "--max-rejected", "5", "--report", str(tmp_path / "r.csv"))
    assert (code, summary["rejected"], summary["in_scope"]) == (0, 1, 2)
    assert read_report(tmp_path / "r.csv")[0]["numéro de ligne"] == "2"


def test_dwellings_carry_their_primary_owner_after_import_and_reimport(communes, tmp_path):
    from zlv.housing.models import Housing, HousingOwner

    import_file(
        tmp_path, [lovac_row(1, ff_idpersonne_1="P0000001"), lovac_row(2, ff_idpersonne_1="P0000002")]
    )
    # Next file: dwelling 2 changes hands.
    import_file(
        tmp_path,
        [
            lovac_row(1, ff_idpersonne_1="P0000001"),
            lovac_row(2, ff_idpersonne_1="P0000009", ff_ddenom_1="NEUF/JEAN"),
        ],
        name="lovac-2.csv",
    )
    for housing in Housing.objects.all():
        primary = HousingOwner.objects.get(housing=housing, rank=1)
        assert housing.primary_owner_id == primary.owner_id
    assert Housing.objects.filter(primary_owner__idpersonne="P0000009").count() == 1


def assert_copies_match_rights():
    """Every dwelling's copies equal what its rights and owners say (zlv/housing/primary_owner.py)."""
    from zlv.housing.models import Housing, HousingOwner
    from zlv.housing.search import searchable_text

    for housing in Housing.objects.all():
        links = list(HousingOwner.objects.filter(housing=housing, rank__gte=1).select_related("owner"))
        primary = next((link for link in links if link.rank == 1), None)
        owner = primary.owner if primary else None
        assert (
            housing.primary_owner_id,
            housing.primary_owner_kind,
            housing.primary_owner_birth_date,
            housing.primary_owner_multi,
            housing.primary_owner_location,
            housing.owner_count,
            housing.primary_owner_search_name,
        ) == (
            owner.pk if owner else None,
            owner.kind if owner else "",
            owner.birth_date if owner else None,
            owner.is_multi_owner if owner else False,
            primary.locprop_source if primary else None,
            len(links),
            searchable_text(owner.full_name) if owner else "",
        ), housing.local_id


def test_owner_copies_follow_rights_and_owners_across_imports(communes, tmp_path):
    from zlv.housing.models import Housing, Owner

    import_file(
        tmp_path,
        [
            lovac_row(1, ff_idpersonne_1="P0000001", ff_ddenom_2="MARTIN/PAUL", ff_idpersonne_2="P0000002"),
            lovac_row(2, ff_idpersonne_1="P0000003", ff_locprop_1="1"),
        ],
    )
    assert_copies_match_rights()
    assert Housing.objects.get(local_id="590000000001").owner_count == 2
    # Next file: P0000001 is born on another day and becomes primary owner of dwelling 2 as well
    # (a multi-owner now, so dwelling 1's copy changes too); dwelling 2's owner lives elsewhere.
    import_file(
        tmp_path,
        [
            lovac_row(1, ff_idpersonne_1="P0000001", ff_jdatnss_1="03/04/1961", ff_ddenom_1="DUPONT/JÉRÔME"),
            lovac_row(
                2,
                ff_idpersonne_1="P0000001",
                ff_jdatnss_1="03/04/1961",
                ff_locprop_1="4",
                ff_ddenom_1="DUPONT/JÉRÔME",
            ),
        ],
        name="lovac-2.csv",
    )
    assert_copies_match_rights()
    first = Housing.objects.get(local_id="590000000001")
    assert (first.primary_owner_multi, first.owner_count) == (True, 1)
    assert first.primary_owner_birth_date == Owner.objects.get(idpersonne="P0000001").birth_date
    assert str(first.primary_owner_birth_date) == "1961-04-03"
    assert first.primary_owner_search_name == "DUPONT/JEROME"


def test_a_dwelling_follows_its_commune_into_a_merged_one(communes, tmp_path):
    """The national id keeps the former commune's code: the dwelling moves, with its follow-up."""
    import_file(tmp_path, [lovac_row(1)])
    housing = Housing.objects.get()
    Housing.objects.filter(pk=housing.pk).update(status=2, sub_status="En pré-accompagnement")

    code, summary, _report = import_file(tmp_path, [lovac_row(1, commune="512")], name="lovac-2.csv")

    assert code == 0 and summary["housing_created"] == 0
    moved = Housing.objects.get()
    assert (moved.pk, moved.geo_code, moved.status) == (housing.pk, "59512", 2)
    event = Event.objects.get(kind="housing:lovac-refreshed", new__has_key="geoCode")
    assert (event.old, event.new) == ({"geoCode": "59350"}, {"geoCode": "59512"})


def test_an_existing_owner_of_a_new_dwelling_becomes_multi_owner(communes, tmp_path):
    import_file(tmp_path, [lovac_row(1, ff_idpersonne_1="P0000001")])
    assert Owner.objects.get(idpersonne="P0000001").is_multi_owner is False

    rows = [lovac_row(1, ff_idpersonne_1="P0000001"), lovac_row(2, ff_idpersonne_1="P0000001")]
    import_file(tmp_path, rows, name="lovac-2.csv")

    assert Owner.objects.get(idpersonne="P0000001").is_multi_owner is True
    assert_copies_match_rights()
    assert set(Housing.objects.values_list("primary_owner_multi", flat=True)) == {True}
