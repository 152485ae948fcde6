"""Benchmark of the bulk edit: 10 000 dwellings, every field group, events and a note on each.

    uv run python bench/bulk_update.py [--dwellings 10000]

Creates a fresh database `zlv_bench_bulk` on the embedded server (or DATABASE_URL's server),
generates the dwellings with bulk_create, then times housing_bulk_update — run in-process through
the task backend (chunks of BULK_CHUNK_SIZE, as the worker would) — and prints the seconds.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Outside demo mode the settings require a signing key; a benchmark signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "bench-only-signing-key")

BENCH_DATABASE = "zlv_bench_bulk"


def fresh_database_url() -> str:
    import psycopg
    from psycopg import sql

    from zlv.utils.embedded_db import ensure_embedded_server

    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        admin_url, url = f"{base}/postgres", f"{base}/{BENCH_DATABASE}"
    else:
        settings = ensure_embedded_server(ROOT / "var" / "pgdata")
        host = quote(settings["HOST"], safe="")
        admin_url = f"postgresql://postgres@{host}:{settings['PORT']}/postgres"
        url = f"postgresql://postgres@{host}:{settings['PORT']}/{BENCH_DATABASE}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dwellings", type=int, default=10_000)
    options = parser.parse_args()

    os.environ["DATABASE_URL"] = fresh_database_url()
    os.environ["ZLV_DEMO"] = "0"
    # The background path runs in this process, as the worker would run it.
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zlv.accounts.models import Establishment
    from zlv.accounts.services import member_add
    from zlv.geo.models import Commune, Department, Region
    from zlv.housing.filters import parse_filters
    from zlv.housing.models import BulkUpdateJob, Event, Housing, Note, Precision
    from zlv.housing.services import housing_bulk_update

    started = time.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    region = Region.objects.create(code="32", name="Hauts-de-France")
    department = Department.objects.create(code="59", name="Nord", region=region)
    commune = Commune.objects.create(code="59178", name="Douai", department=department, population=40000)
    establishment = Establishment.objects.create(name="Banc d’essai", kind="COM")
    establishment.communes.set([commune])
    user = member_add(establishment=establishment, email="bench@zlv.test", role="usual")
    Housing.objects.bulk_create(
        [
            Housing(geo_code="59178", local_id=f"59{n:010d}", housing_kind="MAISON", status=1)
            for n in range(options.dwellings)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"base prête ({options.dwellings} logements) en {time.perf_counter() - started:.1f} s")

    works = Precision.objects.get(category="travaux", label="En cours")
    scheme = Precision.objects.get(category="dispositifs-incitatifs", label="Dispositif fiscal")
    started = time.perf_counter()
    outcome = housing_bulk_update(
        user=user,
        filters=parse_filters({"all": "true"}),
        status=3,
        sub_status="En accompagnement",
        occupancy="L",
        occupancy_intended="P",
        precision_ids=[works.pk, scheme.pk],
        note="Courrier de relance envoyé.",
    )
    if outcome.job is not None:
        # The immediate backend ran the job when the transaction committed.
        outcome.job.refresh_from_db()
        assert outcome.job.status == "succeeded", outcome.job.error
    seconds = time.perf_counter() - started
    events = Event.objects.count()
    notes = Note.objects.count()
    print(f"logements modifiés  : {outcome.count}")
    print(f"événements créés    : {events}")
    print(f"notes créées        : {notes}")
    print(f"tâche d’arrière-plan: {'oui' if outcome.job else 'non'} ({BulkUpdateJob.objects.count()} job)")
    print(f"durée               : {seconds:.2f} s")


if __name__ == "__main__":
    main()
