"""Import runs that die: a killed import is shown interrupted, and the next run says so."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connections

from tests.factories import UserFactory
from tests.lovac.conftest import lovac_row, write_lovac
from zlv.accounts.services import system_user
from zlv.lovac.models import RUN_LOCK_CLASS, ImportRun, ImportRunStatus


def import_output(path) -> list[str]:
    out = io.StringIO()
    call_command("import_lovac", str(path), "--millesime", "2025", "--json", stdout=out)
    return out.getvalue().strip().splitlines()


def left_running(**values) -> ImportRun:
    """The row of a run whose process was killed: still "running", and no session holds its lock."""
    return ImportRun.objects.create(
        file_name="lovac-2025.csv",
        checksum="0" * 64,
        millesime=2025,
        status=ImportRunStatus.RUNNING,
        created_by=system_user(),
        **values,
    )


@pytest.fixture
def other_session(db):
    """A second connection to the test database, as another import process would have."""
    alias = "default"
    other = connections.create_connection(alias)
    yield other
    other.close()


def test_a_dead_run_is_shown_interrupted_and_marked_so_by_the_next_run(communes, tmp_path, client):
    dead = left_running()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/lovac/importrun/").content.decode()
    assert '<td class="field-state">Interrompu</td>' in listing

    lines = import_output(write_lovac(tmp_path / "lovac.csv", [lovac_row(1)]))

    assert any(f"l'import n° {dead.pk} (lovac-2025.csv" in line and "interrompu" in line for line in lines)
    assert json.loads(lines[-1])["status"] == "imported"
    dead.refresh_from_db()
    assert (dead.status, dead.get_status_display()) == ("interrupted", "Interrompu")
    # Said once: the run after that one has nothing to report.
    lines = import_output(tmp_path / "lovac.csv")
    assert len(lines) == 1
    assert "Interrompu" in client.get(f"/admin/lovac/importrun/{dead.pk}/change/").content.decode()


def test_a_run_whose_session_is_alive_stays_running(communes, tmp_path, other_session):
    alive = left_running()
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s), pg_backend_pid()", [RUN_LOCK_CLASS, alive.pk])
        other_pid = cursor.fetchone()[1]
    assert not ImportRun.objects.dead().exists()
    assert ImportRun.objects.with_current_status().get(pk=alive.pk).current_status_label == "En cours"

    lines = import_output(write_lovac(tmp_path / "lovac.csv", [lovac_row(1)]))

    assert len(lines) == 1
    alive.refresh_from_db()
    assert alive.status == "running"
    # Its process is killed: the server ends the session, and its lock with it.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 30000)", [other_pid])
        assert cursor.fetchone()[0] is True
    assert list(ImportRun.objects.dead()) == [alive]


def test_a_run_holds_its_lock_while_it_works_and_releases_it(communes, tmp_path):
    from zlv.lovac.services import lovac_import

    seen = []

    def progress(phase, count=None):
        if phase == "logements":
            run = ImportRun.objects.with_current_status().order_by("-pk").first()
            seen.append((run.status, run.current_status))

    result = lovac_import(
        path=write_lovac(tmp_path / "lovac.csv", [lovac_row(1)]), millesime=2025, progress=progress
    )

    assert seen == [("running", "running")]
    assert result.status == "imported"
    run = ImportRun.objects.with_current_status().get(pk=result.run_id)
    assert (run.status, run.current_status) == ("imported", "imported")
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s::oid",
            [RUN_LOCK_CLASS],
        )
        assert cursor.fetchone()[0] == 0
