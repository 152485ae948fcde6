"""Benchmark of the dwellings exports on 100 000 dwellings with their owners.

    uv run python bench/export.py [--rows 100000] [--rebuild]

Builds (once) a database `zlv_bench_export` on the embedded server (or next to DATABASE_URL's):
one establishment whose perimeter holds `--rows` dwellings (bulk_create), nine in ten with a
primary owner (some asking not to be contacted), a few précisions and referents. Then, each in a
fresh process so that the peak RSS is the export's own:

- the CSV export of every dwelling, streamed through Django's test Client (all middleware) and
  consumed chunk by chunk — targets: < 10 s, < 300 MB;
- the same as a mailing export (?purpose=courrier);
- the XLSX export as the task worker runs it (ExportJob + export_job_run) — target: < 60 s.

Prints seconds, rows and peak RSS (resource.getrusage). Re-runs reuse the database.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Outside demo mode the settings require a signing key; a benchmark signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "bench-only-signing-key")

DATABASE = "zlv_bench_export"
USER_EMAIL = "bench-export@zlv.test"
COMMUNES = [f"59{number:03d}" for number in range(1, 21)]


def database_urls() -> tuple[str, str]:
    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        return f"{base}/postgres", f"{base}/{DATABASE}"
    from zlv.utils.embedded_db import ensure_embedded_server

    settings = ensure_embedded_server(ROOT / "var" / "pgdata")
    host = quote(settings["HOST"], safe="")
    base = f"postgresql://postgres@{host}:{settings['PORT']}"
    return f"{base}/postgres", f"{base}/{DATABASE}"


def create_database(admin_url: str, rebuild: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if exists and not rebuild:
            return
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ZLV_DEMO"] = "0"
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / "bench" / "out" / "media"))
    import django

    django.setup()


def build(rows: int) -> None:
    """Migrate, then create the establishment, its agent and `rows` dwellings with owners."""
    import datetime
    import random

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--no-input", verbosity=0)
    from zlv.accounts.enums import EstablishmentKind, Role
    from zlv.accounts.models import Establishment, Membership, User
    from zlv.geo.models import Commune, Department, Region
    from zlv.housing.models import Housing, HousingOwner, HousingPrecision, Owner, Precision
    from zlv.teamwork.models import HousingReferent

    if Housing.objects.count() >= rows:
        return
    started = time.perf_counter()
    region, _ = Region.objects.get_or_create(code="32", defaults={"name": "Hauts-de-France"})
    department, _ = Department.objects.get_or_create(code="59", defaults={"name": "Nord", "region": region})
    for code in COMMUNES:
        Commune.objects.get_or_create(
            code=code, defaults={"name": f"Commune {code}", "department": department}
        )
    establishment, _ = Establishment.objects.get_or_create(
        name="Bench export", defaults={"kind": EstablishmentKind.CA}
    )
    establishment.communes.set(COMMUNES)
    user = User.objects.filter(email=USER_EMAIL).first() or User.objects.create_user(
        USER_EMAIL, "bench-export-2026!", first_name="Bench", last_name="Export"
    )
    Membership.objects.get_or_create(user=user, establishment=establishment, defaults={"role": Role.USUAL})
    user.active_establishment = establishment
    user.save(update_fields=["active_establishment"])

    random.seed(7)
    kinds = ["particulier", "sci-copro", "promoteur", "etat-collectivite", "autres", ""]
    statuses = [0, 0, 0, 1, 2, 3, 4, 5]
    batch = 5000
    precisions = list(Precision.objects.values_list("pk", flat=True))
    existing = Housing.objects.count()
    for start in range(existing, rows, batch):
        count = min(batch, rows - start)
        housings = Housing.objects.bulk_create(
            [
                Housing(
                    local_id=f"59{start + index:010d}",
                    invariant=f"{start + index:010d}",
                    geo_code=COMMUNES[(start + index) % len(COMMUNES)],
                    address_dgfip=f"{(start + index) % 300 + 1} RUE DE LA REPUBLIQUE",
                    ban_address=f"{(start + index) % 300 + 1} Rue de la République 59000 Lille",
                    ban_score=round(random.random(), 2),
                    latitude=50.6 + random.random() / 10,
                    longitude=3.0 + random.random() / 10,
                    plot_id=f"59001000AB{index:04d}",
                    housing_kind=random.choice(["APPART", "MAISON"]),
                    living_area=random.randint(20, 200),
                    rooms_count=random.randint(1, 8),
                    building_year=random.randint(1850, 2015),
                    vacancy_start_year=random.randint(2005, 2023),
                    status=(status := random.choice(statuses)),
                    sub_status={2: "En pré-accompagnement", 3: "En accompagnement"}.get(status, ""),
                    occupancy="V",
                    data_file_years=["lovac-2025"],
                )
                for index in range(count)
            ]
        )
        with_owner = [housing for housing in housings if random.random() < 0.9]
        owners = Owner.objects.bulk_create(
            [
                Owner(
                    idpersonne=f"B{housing.pk:07d}",
                    full_name=f"PROPRIETAIRE/JEAN {housing.pk}",
                    birth_date=datetime.date(
                        1940 + housing.pk % 60, 1 + housing.pk % 12, 1 + housing.pk % 28
                    ),
                    kind=random.choice(kinds),
                    address_dgfip=f"{housing.pk % 90 + 1} AVENUE DE LA GARE 59000 LILLE",
                    do_not_contact=random.random() < 0.03,
                )
                for housing in with_owner
            ]
        )
        HousingOwner.objects.bulk_create(
            [
                HousingOwner(
                    housing=housing, owner=owner, rank=1, locprop_source=random.choice([1, 2, 3, 4, 6, 9])
                )
                for housing, owner in zip(with_owner, owners, strict=True)
            ]
        )
        HousingPrecision.objects.bulk_create(
            [
                HousingPrecision(housing=housing, precision_id=random.choice(precisions))
                for housing in housings
                if random.random() < 0.2
            ],
            ignore_conflicts=True,
        )
        HousingReferent.objects.bulk_create(
            [
                HousingReferent(establishment=establishment, housing=housing, user=user, assigned_by=user)
                for housing in housings
                if random.random() < 0.1
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {rows} logements créés en {time.perf_counter() - started:.0f} s", flush=True)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (ru_maxrss is in kilobytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_csv(purpose: str) -> dict:
    from django.conf import settings
    from django.test import Client

    from zlv.accounts.models import User

    settings.DEBUG = False
    client = Client()
    client.force_login(User.objects.get(email=USER_EMAIL))
    # Warm-up: the first request imports every view module (URL resolution), as a server does once.
    client.get("/exports/logements.csv?housingIds=1").close()
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    query = "?purpose=courrier" if purpose == "courrier" else ""
    response = client.get(f"/exports/logements.csv{query}")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    response.close()
    return {
        "seconds": time.perf_counter() - started,
        "status": response.status_code,
        "megabytes": size / 1e6,
        "lines": lines,
        "rss_before": rss_before,
        "rss_peak": peak_rss_mb(),
    }


def measure_xlsx() -> dict:
    from zlv.accounts.models import User
    from zlv.teamwork import export_jobs
    from zlv.teamwork.models import ExportJob

    user = User.objects.get(email=USER_EMAIL)
    job = ExportJob.objects.create(
        establishment_id=user.active_establishment_id,
        created_by=user,
        filters={"filters": {}, "group_id": None},
        file_name="bench.xlsx",
    )
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    job = export_jobs.export_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    size = Path(job.file.path).stat().st_size if job.file else 0
    result = {
        "seconds": seconds,
        "status": job.status,
        "rows": job.total,
        "megabytes": size / 1e6,
        "rss_before": rss_before,
        "rss_peak": peak_rss_mb(),
        "error": job.error,
    }
    if job.file:
        Path(job.file.path).unlink()
    return result


def measure_group(rows: int) -> dict:
    """Creating a group of every dwelling ("select all") and deleting it, set-based."""
    from zlv.accounts.models import User
    from zlv.housing.filters import parse_filters
    from zlv.teamwork import services

    user = User.objects.get(email=USER_EMAIL)
    started = time.perf_counter()
    group = services.group_create(
        establishment=user.active_establishment,
        by=user,
        title="Tous",
        description="Bench",
        filters_or_ids=parse_filters({"all": "true"}),
    )
    created = time.perf_counter() - started
    started = time.perf_counter()
    services.group_delete(group=group, by=user)
    return {"create": created, "delete": time.perf_counter() - started}


def run_measure(name: str, rows: int) -> dict:
    """Run one measure in a fresh Python process: its peak RSS is the export's."""
    completed = subprocess.run(
        [sys.executable, __file__, "--rows", str(rows), "--measure", name],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if completed.returncode:
        sys.exit(f"Échec de l’étape {name} :\n{completed.stderr}")
    lines = completed.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--measure", choices=["build", "csv", "courrier", "xlsx", "group"], help=argparse.SUPPRESS
    )
    options = parser.parse_args()

    admin_url, url = database_urls()
    if options.measure:
        setup_django(url)
        if options.measure == "build":
            build(options.rows)
            result = {}
        elif options.measure == "xlsx":
            result = measure_xlsx()
        elif options.measure == "group":
            result = measure_group(options.rows)
        else:
            result = measure_csv(options.measure)
        print(json.dumps(result))
        return

    print(f"Base {DATABASE} ({options.rows} logements)…", flush=True)
    create_database(admin_url, options.rebuild)
    # Every step runs in its own process: getrusage's peak RSS survives fork + exec, so this
    # parent stays small (no Django) and each export's figure is its own.
    os.environ["DATABASE_URL"] = url
    run_measure("build", options.rows)

    for name, label in (("csv", "CSV (données)"), ("courrier", "CSV (courrier)")):
        result = run_measure(name, options.rows)
        verdict = "OK" if result["seconds"] < 10 and result["rss_peak"] < 300 else "HORS CIBLE"
        print(
            f"{label:<16} {result['seconds']:6.2f} s   {result['lines'] - 1:>7} lignes   "
            f"{result['megabytes']:6.1f} Mo   RSS max {result['rss_peak']:6.0f} Mo "
            f"(dont {result['rss_before']:.0f} Mo avant l’export)   HTTP {result['status']}   "
            f"cible < 10 s, < 300 Mo : {verdict}",
            flush=True,
        )
    result = run_measure("xlsx", options.rows)
    verdict = "OK" if result["seconds"] < 60 and result["status"] == "succeeded" else "HORS CIBLE"
    print(
        f"{'XLSX (tâche)':<16} {result['seconds']:6.2f} s   {result['rows']:>7} lignes   "
        f"{result['megabytes']:6.1f} Mo   RSS max {result['rss_peak']:6.0f} Mo "
        f"(dont {result['rss_before']:.0f} Mo avant l’export)   {result['status']}   "
        f"cible < 60 s : {verdict}",
        flush=True,
    )
    if result["error"]:
        print(f"  erreur : {result['error']}")
    result = run_measure("group", options.rows)
    print(f"{'Groupe (tous)':<16} création {result['create']:.2f} s, suppression {result['delete']:.2f} s")


if __name__ == "__main__":
    main()
