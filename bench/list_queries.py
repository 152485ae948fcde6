"""Benchmark of the spotting pages and API on a large establishment inside a national-size base.

    uv run python bench/list_queries.py [--server embedded|external] [--department 59]
                                        [--department-rows 285000] [--other-rows 1400000] [--reuse]

Builds a new database `zlv_bench_list`, owned by a plain role (`zlv_bench`, neither superuser nor
CREATEDB) as on a managed PostgreSQL: a whole département generated and imported (~200 000
dwellings in scope for the establishment), then a national file of other dwellings
(~1 000 000). The pages are timed at once, in the state `import_lovac` leaves: no manual VACUUM,
no warm-up request. Times server-side (in-process Django test client) ≥ 20 requests per case
and prints p50/p95 and response sizes. `--reuse` measures the existing database as it is.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Outside demo mode the settings require a signing key; a benchmark signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "bench-only-signing-key")

from bench.import_lovac import DEFAULT_ADMIN_URL, server_urls  # noqa: E402

DATABASE = "zlv_bench_list"
REQUESTS_PER_CASE = 25


def build(admin_url: str, role_url: str, options) -> str:
    """A new database: a whole département imported, then a national file of other dwellings;
    the pages are measured right after the last import. Returns the database's URL."""
    import psycopg

    from bench.import_lovac import fresh_database

    url = f"{role_url}/{DATABASE}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
    if exists and options.reuse:
        print(f"base {DATABASE} réutilisée telle quelle (--reuse)", flush=True)
        return url
    fresh_database(admin_url, DATABASE)
    env = {**os.environ, "DATABASE_URL": url, "ZLV_DEMO": "0"}

    def manage(*arguments):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], env=env, check=True)
        print(f"  {' '.join(arguments[:3])}… {time.perf_counter() - started:.0f} s", flush=True)

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("load_geography")
    files = [
        (options.department, options.department_rows),
        ("FR", options.other_rows),
    ]
    for territory, rows in files:
        path = out / f"list-{territory}-{rows}.csv"
        if not path.exists():
            manage("generate_lovac", "--territory", territory, "--millesime", "2025", "--rows", str(rows),
                   "--seed", "7", "--out", str(path))  # fmt: skip
        manage("import_lovac", str(path), "--millesime", "2025", "--max-rejected", "100000")
    manage("create_establishment", "--territory", options.department, "--user", "bench@zlv.test",
           "--role", "usual")  # fmt: skip
    print("mesure immédiate, sans VACUUM manuel ni requête de chauffe", flush=True)
    return url


def seed_campaigns(user, count: int = 12) -> list[int]:
    """Campaigns of the establishment (once): one per large commune, half of them already sent, so
    that the campaign filters, column and pages are measured on realistic links."""
    import datetime

    from django.db.models import Count

    from zlv.campaigns.models import Campaign
    from zlv.campaigns.services import campaign_create
    from zlv.housing.filters import HousingFilters
    from zlv.housing.models import Housing
    from zlv.teamwork.services import group_create

    existing = list(
        Campaign.objects.filter(establishment_id=user.active_establishment_id).values_list("pk", flat=True)
    )
    if existing:
        return existing
    started = time.perf_counter()
    communes = (
        Housing.objects.visible_to(user)
        .values("geo_code")
        .annotate(n=Count("*"))
        .order_by("-n")[1 : count + 1]
    )
    sent = datetime.date(2026, 3, 1)
    ids = []
    for index, row in enumerate(communes):
        group = group_create(
            establishment=user.active_establishment_id,
            by=user,
            title=f"Commune {row['geo_code']}",
            description="Logements vacants de la commune",
            filters_or_ids=HousingFilters(all_selected=True, localities=(row["geo_code"],)),
        )
        campaign = campaign_create(
            group=group, by=user, title=f"Courrier {row['geo_code']}", sent_at=sent if index % 2 else None
        )
        ids.append(campaign.pk)
    print(f"  {len(ids)} campagnes créées en {time.perf_counter() - started:.1f} s", flush=True)
    return ids


def timed(client, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status_code, len(response.content)


def report(client, label: str, samples: list) -> None:
    """Time each sample (a path, or a tuple of paths a page needs together, timed as one),
    cycled up to REQUESTS_PER_CASE, without warm-up: the first requests count too."""
    samples = [sample if isinstance(sample, tuple) else (sample,) for sample in samples]
    durations, sizes, statuses = [], [], set()
    for index in range(max(REQUESTS_PER_CASE, len(samples))):
        total, size = 0.0, 0
        for path in samples[index % len(samples)]:
            elapsed, status, length = timed(client, path)
            total += elapsed
            size += length
            statuses.add(status)
        durations.append(total)
        sizes.append(size)
    durations.sort()
    p95 = durations[int(0.95 * (len(durations) - 1))]
    print(
        f"{label:<58} p50 {statistics.median(durations):7.1f} ms   p95 {p95:7.1f} ms   "
        f"{max(sizes) / 1024:8.1f} Ko   HTTP {','.join(map(str, sorted(statuses)))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["embedded", "external"], default="embedded")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--department", default="59")
    parser.add_argument("--department-rows", type=int, default=285_000)
    parser.add_argument("--other-rows", type=int, default=1_400_000)
    parser.add_argument(
        "--reuse", action="store_true", help="mesurer la base existante telle quelle, sans la reconstruire"
    )
    options = parser.parse_args()

    admin_url, role_url = server_urls(options.server, options.admin_url)
    url = build(admin_url, role_url, options)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ZLV_DEMO"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from zlv.accounts.models import User
    from zlv.housing.models import Housing, HousingOwner

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    user = User.objects.get(email="bench@zlv.test")
    client = Client()
    client.force_login(user)
    scoped = Housing.objects.visible_to(user)
    print(f"logements de la structure : {scoped.count():,} ; base entière : {Housing.objects.count():,}")

    campaign_ids = seed_campaigns(user)
    sample_ids = list(scoped.order_by("?").values_list("id", flat=True)[:REQUESTS_PER_CASE])
    names = list(
        HousingOwner.objects.filter(rank=1, housing__in=scoped.order_by("?")[:REQUESTS_PER_CASE]).values_list(
            "owner__full_name", flat=True
        )
    )
    # an accent-less, partial, word-swapped form of real names: "jean dup" for "DUPONT/JEAN"
    searches = []
    for name in names:
        surname, _, first = name.partition("/")
        searches.append(quote(f"{first.split(' ')[0].lower()} {surname[:5].lower()}".strip()))
    single_filters = [
        "", "status=0", "statusList=1,2", "occupancies=V", "housingKinds=APPART", "vacancyYears=2018to2015",
        "ownerKinds=sci-copro", "ownerAges=75to99", "multiOwners=true", "housingAreas=35to74",
        "roomsCounts=3", "buildingPeriods=lt1919", "cadastralClassifications=7",
        "relativeLocations=same-commune", "beneficiaryCounts=2", "dataFileYearsIncluded=lovac-2025",
        "localities=59350", "lastMutationTypes=sale", "ownershipKinds=co", "housingCounts=gte50",
        f"campaignIds={campaign_ids[0]}", "campaignIds=null", "campaignCount=1",
    ]  # fmt: skip
    print(f"{REQUESTS_PER_CASE} requêtes par cas, mesurées côté serveur (client Django en processus)")
    for query in single_filters:
        pair = (f"/api/v1/housing?{query}", f"/api/v1/housing/count?{query}")
        report(client, f"liste p.1 + comptes · {query or 'sans filtre'}", [pair])
    report(client, "page « Parc de logements » (HTML complet)", ["/parc-de-logements"])
    report(
        client,
        "page « Parc de logements » complète, 10 jeux de filtres",
        [f"/parc-de-logements?{query}" for query in single_filters[:10]],
    )
    report(client, "recherche nom de propriétaire (liste)", [f"/api/v1/housing?query={q}" for q in searches])
    report(
        client,
        "recherche nom de propriétaire (comptes)",
        [f"/api/v1/housing/count?query={q}" for q in searches],
    )
    report(client, "page 200 de la liste", ["/api/v1/housing?page=200"])
    report(client, "carte, territoire entier, zoom 8", ["/api/v1/housing/map?zoom=8"])
    report(client, "carte, rue zoomée (zoom 16)", ["/api/v1/housing/map?zoom=16&bbox=3.05,50.62,3.07,50.64"])
    report(client, "GET /api/v1/housing/<id>", [f"/api/v1/housing/{pk}" for pk in sample_ids])
    report(client, "fiche logement /logements/<id>", [f"/logements/{pk}" for pk in sample_ids])
    report(client, "campagnes /campagnes", ["/campagnes"])
    report(client, "GET /api/v1/campaigns", ["/api/v1/campaigns"])
    report(client, "campagne /campagnes/<id>", [f"/campagnes/{pk}" for pk in campaign_ids])


if __name__ == "__main__":
    main()
