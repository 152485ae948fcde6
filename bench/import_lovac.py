"""Benchmark of the LOVAC import: generate N raw lines, import them into a fresh database.

    uv run python bench/import_lovac.py --rows 1000000 [--rows 3000000 ...] [--server embedded|external]
                                        [--territory FR] [--millesime 2025] [--reimport]

Each size is imported into a new database owned by a plain role (`zlv_bench`: LOGIN, neither
superuser nor CREATEDB), as on a managed PostgreSQL: the import runs with every check the server
would run in production. Prints, per size: raw lines/s, total seconds, each step's seconds, the
peak RSS of the import process and of its PostgreSQL backend, the backend's CPU time, and the
machine's load (`uptime`) before and after.

`--server embedded` (default) uses the embedded PostgreSQL under var/pgdata; `--server external`
the machine's PostgreSQL (`--admin-url`, default postgres://postgres@127.0.0.1:5432/postgres, a
role that may create roles and databases). The generated files are kept under bench/out/ and
reused by later runs with the same arguments. The generator holds its whole file in memory
(≈ 2.5 GB per million lines): a national file of more than PART_ROWS lines is generated in
parts, each for a group of départements, and the parts are concatenated.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Outside demo mode the settings require a signing key; a benchmark signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "bench-only-signing-key")

BENCH_DATABASE = "zlv_bench"
BENCH_ROLE = "zlv_bench"
APPLICATION_NAME = "zlv-bench-import"
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PART_ROWS = 1_500_000

# Run by `generate_in_parts`: the file of one group of départements (arguments given as JSON).
GENERATE_PART = """
import json, sys
import django
django.setup()
from zlv.geo.models import Commune
from zlv.lovac.generator import generate_lovac
departments, rows, seed, millesime, out = json.loads(sys.argv[1])
communes = Commune.objects.filter(department_id__in=departments).iterator(chunk_size=5000)
generate_lovac(communes=communes, millesime=millesime, rows=rows, seed=seed, out=out)
"""


def server_urls(server: str, admin_url: str) -> tuple[str, str]:
    """(admin URL of the `postgres` database, URL prefix of the bench role, without database)."""
    if server == "embedded":
        from zlv.utils.embedded_db import ensure_embedded_server

        settings = ensure_embedded_server(ROOT / "var" / "pgdata")
        host = quote(settings["HOST"], safe="")
        port = settings["PORT"]
        return f"postgresql://postgres@{host}:{port}/postgres", f"postgresql://{BENCH_ROLE}@{host}:{port}"
    server_address = admin_url.rsplit("@", 1)[1].rsplit("/", 1)[0]
    return admin_url, f"postgresql://{BENCH_ROLE}@{server_address}"


def fresh_database(admin_url: str, name: str) -> None:
    """A new empty database owned by the plain bench role (the role is created if missing)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [BENCH_ROLE]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(BENCH_ROLE)))
        connection.execute(
            sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION").format(
                sql.Identifier(BENCH_ROLE)
            )
        )
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(BENCH_ROLE))
        )


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(*arguments: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class BackendWatch(threading.Thread):
    """Follows the import's PostgreSQL backend (found by its application name): CPU time and peak
    RSS, read from /proc while it runs (the server runs on this machine)."""

    def __init__(self, admin_url: str, database: str):
        super().__init__(daemon=True)
        self.admin_url = admin_url
        self.database = database
        self.stopped = threading.Event()
        self.cpu_seconds = 0.0
        self.peak_rss_mb = 0.0

    def run(self) -> None:
        import psycopg

        ticks = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            while not self.stopped.wait(0.5):
                pids = connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                    [self.database, APPLICATION_NAME],
                ).fetchall()
                for (pid,) in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    self.cpu_seconds = max(self.cpu_seconds, (int(fields[11]) + int(fields[12])) / ticks)
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)


def number(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def bench_one(options, admin_url: str, role_url: str, rows: int) -> dict:
    database = BENCH_DATABASE
    fresh_database(admin_url, database)
    env = {**os.environ, "DATABASE_URL": f"{role_url}/{database}", "ZLV_DEMO": "0"}
    started = time.perf_counter()
    manage("migrate", "--no-input", env=env)
    manage("load_geography", env=env)
    print(f"base neuve prête (migrations + géographie) en {time.perf_counter() - started:.1f} s", flush=True)

    out = ROOT / "bench" / "out" / f"lovac-{options.territory}-{options.millesime}-{rows}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        started = time.perf_counter()
        if options.territory == "FR" and rows > PART_ROWS:
            generate_in_parts(options, rows, out, env)
        else:
            manage(
                "generate_lovac", "--territory", options.territory, "--millesime", str(options.millesime),
                "--rows", str(rows), "--seed", str(options.seed), "--out", str(out), env=env,
            )  # fmt: skip
        size_mb = out.stat().st_size / 1e6
        print(
            f"fichier généré en {time.perf_counter() - started:.1f} s : {out} ({size_mb:.0f} Mo)", flush=True
        )

    figures = {"rows": rows, "load_before": load()}
    figures["first"] = timed_import(options, admin_url, database, out, env)
    if options.reimport:
        figures["reimport"] = timed_import(options, admin_url, database, out, env)
    figures["load_after"] = load()
    if not options.keep:
        drop_database(admin_url, database)
    return figures


def generate_in_parts(options, rows: int, out: Path, env: dict) -> None:
    """A national file of `rows` lines, generated for groups of départements of about PART_ROWS
    lines each (rows shared by population), then concatenated. Départements do not share national
    ids; owner ids may rarely meet across parts, as one owner of several départements would."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as connection:
        populations = connection.execute(
            "SELECT department_id, sum(coalesce(population, 0)) FROM geo_commune GROUP BY 1 ORDER BY 1"
        ).fetchall()
    total = sum(population for _code, population in populations)
    count = -(-rows // PART_ROWS)
    groups: list[list[str]] = [[] for _ in range(count)]
    filled = 0
    for code, population in populations:  # in code order, filling one group after the other
        groups[min(int(filled * count / total), count - 1)].append(code)
        filled += population
    groups = [group for group in groups if group]
    parts, remaining = [], rows
    for index, group in enumerate(groups):
        share = sum(population for code, population in populations if code in group) / total
        part_rows = remaining if index == len(groups) - 1 else round(rows * share)
        remaining -= part_rows
        part = out.with_suffix(f".part{index}.csv")
        arguments = json.dumps([group, part_rows, options.seed + index, options.millesime, str(part)])
        subprocess.run(
            [sys.executable, "-c", GENERATE_PART, arguments],
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            check=True,
            cwd=ROOT,
        )
        parts.append(part)
    with open(out, "wb") as destination:
        for index, part in enumerate(parts):
            with open(part, "rb") as source:
                header = source.readline()
                if index == 0:
                    destination.write(header)
                while block := source.read(16 * 1024 * 1024):
                    destination.write(block)
            part.unlink()


def timed_import(options, admin_url: str, database: str, path: Path, env: dict) -> dict:
    command = [sys.executable, str(ROOT / "manage.py"), "import_lovac", str(path)]
    command += ["--millesime", str(options.millesime), "--json", "--timings", "--max-rejected", "100000"]
    watch = BackendWatch(admin_url, database)
    watch.start()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**env, "PGAPPNAME": APPLICATION_NAME},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    watch.stopped.set()
    watch.join()
    if process.returncode != 0:
        sys.stderr.write(stderr)
        sys.exit(f"l'import a échoué (code {process.returncode})")
    summary = json.loads(stdout.strip().splitlines()[-1])
    lines = stderr.splitlines()
    # Written by `import_lovac --timings`: "étape <label> <seconds> s" lines, then "pic RSS <n> Mo".
    steps = [line.removeprefix("étape ").rstrip() for line in lines if line.startswith("étape ")]
    peak = next((float(line.split()[2]) for line in lines if line.startswith("pic RSS ")), None)
    return {
        "summary": summary,
        "seconds": seconds,
        "lines_per_second": summary["lines"] / seconds,
        "peak_rss_mb": peak,
        "backend_peak_rss_mb": watch.peak_rss_mb,
        "backend_cpu_seconds": watch.cpu_seconds,
        "steps": steps,
    }


def print_import(label: str, figures: dict) -> None:
    summary = figures["summary"]
    print(f"  {label}")
    print(f"    {json.dumps(summary, ensure_ascii=False)}")
    print(f"    lignes brutes        : {number(summary['lines'])}")
    print(f"    durée totale         : {figures['seconds']:.1f} s (démarrage du processus Django compris)")
    print(f"    débit                : {number(figures['lines_per_second'])} lignes/s")
    if figures["peak_rss_mb"] is not None:
        print(f"    pic de mémoire (RSS) : {number(figures['peak_rss_mb'])} Mo (processus d'import)")
    print(
        f"    serveur              : {number(figures['backend_peak_rss_mb'])} Mo de pic, "
        f"{figures['backend_cpu_seconds']:.0f} s de CPU (processus PostgreSQL de l'import)"
    )
    for step in figures["steps"]:
        print(f"      {step}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="lignes brutes (répétable)")
    parser.add_argument("--server", choices=["embedded", "external"], default="embedded")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--territory", default="FR")
    parser.add_argument("--millesime", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reimport", action="store_true", help="importer une seconde fois le même fichier")
    parser.add_argument("--keep", action="store_true", help="garder la dernière base")
    options = parser.parse_args()
    sizes = options.rows or [100_000]

    admin_url, role_url = server_urls(options.server, options.admin_url)
    print(f"serveur : {options.server} ; rôle {BENCH_ROLE} (ni superutilisateur ni CREATEDB)", flush=True)
    results = []
    for rows in sizes:
        print(f"\n== {number(rows)} lignes ==", flush=True)
        figures = bench_one(options, admin_url, role_url, rows)
        results.append(figures)
        print(f"  charge avant : {figures['load_before']}")
        print_import("premier import (base neuve)", figures["first"])
        if "reimport" in figures:
            print_import("ré-import du même fichier", figures["reimport"])
        print(f"  charge après : {figures['load_after']}", flush=True)
    if len(results) > 1:
        print("\nrécapitulatif (premier import) :")
        for figures in results:
            first = figures["first"]
            rss = f"{number(first['peak_rss_mb'])} Mo" if first["peak_rss_mb"] is not None else "?"
            print(
                f"  {number(figures['rows']):>10} lignes : {first['seconds']:7.1f} s, "
                f"{number(first['lines_per_second']):>7} lignes/s, pic {rss}"
            )


if __name__ == "__main__":
    main()
