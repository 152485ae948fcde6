"""The import on any role and next to its readers: constraint checks, locks, statistics left behind."""

import io
import re
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from tests.factories import EstablishmentFactory, UserFactory
from tests.lovac.conftest import MILLESIME, import_file, lovac_row, write_lovac
from zlv.housing.models import Event, Housing, HousingOwner, Owner
from zlv.lovac import merge as lovac_merge
from zlv.lovac.services import lovac_import

IMPORTED_TABLES = ("housing_housing", "housing_owner", "housing_housingowner", "housing_event")


def secondary_indexes() -> set[tuple[str, str]]:
    """Indexes and constraints of the imported tables, as definitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%(tables)s)
            UNION ALL
            SELECT conrelid::regclass::text, conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE conrelid::regclass::text = ANY(%(tables)s)
            """,
            {"tables": list(IMPORTED_TABLES)},
        )
        return set(cursor.fetchall())


def roubaix_rows(count: int, first: int = 1000) -> list[dict]:
    """Dwellings of Roubaix (59512), each with its own owner."""
    return [
        lovac_row(
            number,
            ff_idlocal=f"59{number:010d}",
            commune="512",
            ff_idpersonne_1=f"R{number:07d}",
            ff_ddenom_1=f"MARTIN/PAUL {number}",
        )
        for number in range(first, first + count)
    ]


def test_the_bulk_first_load_runs_with_the_foreign_key_checks(communes, tmp_path, monkeypatch):
    """A first load in bulk mode (indexes and foreign keys between the loaded tables dropped, then
    added back) with the checks every role gets, and the same indexes and constraints afterwards.

    Foreign keys are deferred to the commit by default: rebuilding an index of a table holding
    pending check events fails ("cannot CREATE INDEX … because it has pending trigger events"),
    which the superuser-only `session_replication_role = replica` used to hide.
    """
    before = secondary_indexes()
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)
    bulk_tables, replication_roles = [], []
    original_bulk_load, original_refresh = lovac_merge.bulk_load, lovac_merge.rights_summary_refresh

    def spying_bulk_load(cursor, table, incoming_rows):
        bulk_tables.append(table)
        return original_bulk_load(cursor, table, incoming_rows)

    def spying_refresh(cursor, *args, **kwargs):
        cursor.execute("SELECT current_setting('session_replication_role')")
        replication_roles.append(cursor.fetchone()[0])
        return original_refresh(cursor, *args, **kwargs)

    monkeypatch.setattr(lovac_merge, "bulk_load", spying_bulk_load)
    monkeypatch.setattr(lovac_merge, "rights_summary_refresh", spying_refresh)
    rows = [lovac_row(1, ff_ddenom_2="MARTIN/PAUL", ff_idpersonne_2="P0000900"), lovac_row(2)]
    code, summary, _report = import_file(tmp_path, rows)

    assert code == 0, summary
    assert summary["housing_created"] == 2
    assert set(bulk_tables) == set(IMPORTED_TABLES)
    assert replication_roles == ["origin"]  # the foreign-key triggers fired
    assert secondary_indexes() == before
    assert HousingOwner.objects.count() == 3
    assert Event.objects.filter(kind="housing:created").count() == 2
    # The rebuilt trigram index serves the owner search.
    assert Owner.objects.filter(full_name__searchable__contains="DUPONT").count() == 2


def test_the_import_is_not_bound_by_the_role_timeouts(communes, tmp_path, monkeypatch):
    """Timeouts a managed database sets for web requests do not apply to the import's transaction."""
    settings_seen = []
    original_refresh = lovac_merge.rights_summary_refresh

    def spying_refresh(cursor, *args, **kwargs):
        cursor.execute(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), "
            "current_setting('idle_in_transaction_session_timeout')"
        )
        settings_seen.append(cursor.fetchone())
        return original_refresh(cursor, *args, **kwargs)

    monkeypatch.setattr(lovac_merge, "rights_summary_refresh", spying_refresh)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '20s'")
        cursor.execute("SET lock_timeout = '5s'")
    code, _summary, _report = import_file(tmp_path, [lovac_row(1)])
    assert code == 0
    assert settings_seen == [("0", "0", "0")]


def test_a_right_without_its_dwelling_fails_a_bulk_first_load(communes, tmp_path, monkeypatch):
    """The foreign keys added back after a bulk load are validated."""
    from django.db import IntegrityError

    before = secondary_indexes()
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)
    original_bulk_load = lovac_merge.bulk_load

    @contextmanager
    def corrupting_bulk_load(cursor, table, incoming_rows):
        with original_bulk_load(cursor, table, incoming_rows):
            yield
            if table == "housing_housingowner":
                cursor.execute(
                    """
                    INSERT INTO housing_housingowner (housing_id, owner_id, rank, idprocpte, idprodroit,
                                                      property_right, start_date)
                    SELECT max(id) + 1000, (SELECT min(id) FROM housing_owner), 2, '', '', '', now()
                      FROM housing_housing
                    """
                )

    monkeypatch.setattr(lovac_merge, "bulk_load", corrupting_bulk_load)
    with pytest.raises(IntegrityError, match="housing_id"):
        import_file(tmp_path, [lovac_row(1), lovac_row(2)])
    assert secondary_indexes() == before
    assert Housing.objects.count() == HousingOwner.objects.count() == 0


def test_a_failed_first_load_keeps_the_indexes(communes, tmp_path, monkeypatch):
    before = secondary_indexes()
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)

    def fail(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(lovac_merge, "rights_summary_refresh", fail)
    with pytest.raises(RuntimeError):
        import_file(tmp_path, [lovac_row(1)])
    assert secondary_indexes() == before
    assert Housing.objects.count() == Owner.objects.count() == 0


def test_a_load_that_doubles_populated_tables_keeps_their_indexes(communes, tmp_path, monkeypatch):
    """Only empty tables are loaded without their indexes: populated ones serve readers throughout."""
    from django.db.backends import utils

    import_file(tmp_path, [lovac_row(1)], name="lille.csv")
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)
    statements = []
    execute = utils.CursorWrapper.execute

    def recording_execute(self, sql, params=None):
        statements.append(" ".join(str(sql).split()).upper())
        return execute(self, sql, params)

    monkeypatch.setattr(utils.CursorWrapper, "execute", recording_execute)
    code, summary, _report = import_file(tmp_path, roubaix_rows(5), name="roubaix.csv")

    assert (code, summary["housing_created"]) == (0, 5)
    assert not [sql for sql in statements if sql.startswith(("DROP INDEX", "LOCK TABLE"))]


@pytest.mark.django_db(transaction=True)
def test_agents_browse_the_list_while_a_first_load_doubles_the_base(communes, tmp_path, monkeypatch):
    """A new territory that doubles every table, imported while an agent keeps browsing its list:
    the agent's pages never wait for the import's locks (a wait of 3 s fails the page) and the
    import completes."""
    import_file(tmp_path, [lovac_row(number) for number in range(1, 21)], name="lille.csv")
    establishment = EstablishmentFactory(communes=[communes["59350"]])
    agent = UserFactory(establishment=establishment)
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)  # every insert would take the bulk path

    import_running = threading.Event()
    checkpoint, checkpoint_done = threading.Event(), threading.Event()
    pages, failures = [], []

    def browse() -> None:
        client = Client()
        client.force_login(agent)
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            while import_running.is_set() or not pages:
                for path in ("/parc-de-logements", "/api/v1/housing", "/api/v1/housing/count"):
                    started = time.monotonic()
                    response = client.get(path)
                    pages.append((path, response.status_code, time.monotonic() - started))
                if checkpoint.is_set() and not checkpoint_done.is_set():
                    checkpoint_done.set()
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)
            checkpoint_done.set()
        finally:
            connections["default"].close()

    def progress(phase, count=None):
        # Every table has been written to once the multi-owner flags are computed: wait there
        # until the agent has loaded its pages once more.
        if phase == "multi-propriétaires":
            checkpoint.set()
            checkpoint_done.wait(timeout=30)

    path = write_lovac(tmp_path / "roubaix.csv", roubaix_rows(60))
    reader = threading.Thread(target=browse)
    import_running.set()
    reader.start()
    try:
        result = lovac_import(path=path, millesime=MILLESIME, progress=progress)
    finally:
        import_running.clear()
        reader.join(timeout=60)

    assert not failures, failures
    assert checkpoint_done.is_set()
    assert result.status == "imported" and result.housing_created == 60
    assert pages and all(status == 200 for _path, status, _seconds in pages), pages
    assert Housing.objects.count() == 80


@pytest.mark.django_db(transaction=True)
def test_a_first_load_into_an_empty_base_completes_while_an_agent_waits(communes, tmp_path, monkeypatch):
    """Into an empty base, the tables are locked up front for the bulk load: an agent's page waits
    for the commit (there is nothing to show yet), and neither side deadlocks."""
    establishment = EstablishmentFactory(communes=[communes["59350"]])
    agent = UserFactory(establishment=establishment)
    monkeypatch.setattr(lovac_merge, "BULK_LOAD_MIN_ROWS", 0)
    import_running = threading.Event()
    reader_pid, pages, failures = [], [], []

    def browse() -> None:
        client = Client()
        client.force_login(agent)
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                reader_pid.append(cursor.fetchone()[0])
            while import_running.is_set():
                pages.append(client.get("/api/v1/housing/count").status_code)
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)
        finally:
            connections["default"].close()

    reader_waited = []

    def progress(phase, count=None):
        # The tables are locked: let the import go on only once the agent's page waits for them.
        if phase == "droits de propriété":
            deadline = time.monotonic() + 20
            with connections["default"].cursor() as cursor:
                while time.monotonic() < deadline and not reader_waited:
                    cursor.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", reader_pid[:1])
                    if cursor.fetchone():
                        reader_waited.append(True)
                    time.sleep(0.05)

    path = write_lovac(tmp_path / "lille.csv", [lovac_row(number) for number in range(1, 41)])
    reader = threading.Thread(target=browse)
    import_running.set()
    reader.start()
    try:
        while not reader_pid and reader.is_alive():
            time.sleep(0.01)
        result = lovac_import(path=path, millesime=MILLESIME, progress=progress)
    finally:
        import_running.clear()
        reader.join(timeout=60)

    assert not failures, failures
    assert reader_waited == [True]
    assert result.status == "imported" and result.housing_created == 40
    assert pages and set(pages) == {200}


@pytest.mark.django_db(transaction=True)
def test_the_import_leaves_fresh_statistics_and_vacuumed_tables(communes, tmp_path):
    """Right after the command: statistics of the run's tables, and a VACUUM (visibility map set,
    so that the list's index-only scans need not visit the table)."""
    code, summary, _report = import_file(tmp_path, [lovac_row(number) for number in range(1, 31)])
    assert (code, summary["housing_created"]) == (0, 30)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT relname, last_analyze IS NOT NULL, last_vacuum IS NOT NULL
              FROM pg_stat_user_tables WHERE relname = ANY(%s) ORDER BY relname
            """,
            [list(IMPORTED_TABLES)],
        )
        assert cursor.fetchall() == [(table, True, True) for table in sorted(IMPORTED_TABLES)]
        cursor.execute(
            "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE relname = 'housing_housing'"
        )
        relpages, relallvisible, reltuples = cursor.fetchone()
    assert relpages > 0 and relallvisible == relpages
    assert reltuples == 30


def test_statistics_are_refreshed_inside_the_run(communes, tmp_path):
    """Inside a transaction (as here) the VACUUM waits for the commit, the ANALYZE does not."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        started = cursor.fetchone()[0]
    code, _summary, _report = import_file(tmp_path, [lovac_row(number) for number in range(1, 14)])
    assert code == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, last_analyze >= %s FROM pg_stat_user_tables WHERE relname = ANY(%s) ORDER BY 1",
            [started, list(IMPORTED_TABLES)],
        )
        assert cursor.fetchall() == [(table, True) for table in sorted(IMPORTED_TABLES)]
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'housing_housing'")
        assert cursor.fetchone()[0] == 13


def test_timings_list_every_step_and_the_peak_memory(communes, tmp_path):
    path = write_lovac(tmp_path / "lovac.csv", [lovac_row(1), lovac_row(2)])
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_lovac", str(path), "--millesime", str(MILLESIME), "--timings", stdout=out, stderr=err
    )
    steps = [line.split()[1] for line in err.getvalue().splitlines() if line.startswith("étape ")]
    assert steps[:4] == ["Ouverture", "Lecture", "Dédoublonnage", "Préparation"]
    assert {"Logements", "Statistiques", "Validation", "Entretien", "Rapport"} <= set(steps)
    assert re.search(r"^pic RSS \d+ Mo$", err.getvalue(), re.MULTILINE)
    assert "Import terminé." in out.getvalue()
