"""Benchmark of the LOVAC import: generate N raw lines, import them into a fresh database.

    uv run python bench/import_lovac.py --rows 1000000 [--territory FR] [--millesime 2025]

Prints raw lines/s, total seconds and the peak RSS of the import process. The generated file is
kept under bench/out/ and reused by later runs with the same arguments.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Outside demo mode the settings require a signing key; a benchmark signs nothing that matters.
os.environ.setdefault("SECRET_KEY", "bench-only-signing-key")

from zlv.utils.embedded_db import ensure_embedded_server  # noqa: E402

BENCH_DATABASE = "zlv_bench"


def fresh_database_url() -> str:
    """A new empty database on the embedded server (or on DATABASE_URL's server)."""
    import psycopg
    from psycopg import sql

    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        admin_url = f"{base}/postgres"
        url = f"{base}/{BENCH_DATABASE}"
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


def manage(*arguments: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--territory", default="FR")
    parser.add_argument("--millesime", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": fresh_database_url(), "ZLV_DEMO": "0"}
    started = time.perf_counter()
    manage("migrate", "--no-input", env=env)
    manage("load_geography", env=env)
    print(f"base neuve prête (migrations + géographie) en {time.perf_counter() - started:.1f} s")

    out = ROOT / "bench" / "out" / f"lovac-{options.territory}-{options.millesime}-{options.rows}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        started = time.perf_counter()
        manage(
            "generate_lovac", "--territory", options.territory, "--millesime", str(options.millesime),
            "--rows", str(options.rows), "--seed", str(options.seed), "--out", str(out), env=env,
        )  # fmt: skip
        size_mb = out.stat().st_size / 1e6
        print(f"fichier généré en {time.perf_counter() - started:.1f} s : {out} ({size_mb:.0f} Mo)")

    started = time.perf_counter()
    command = [sys.executable, str(ROOT / "manage.py"), "import_lovac", str(out)]
    command += ["--millesime", str(options.millesime), "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    stdout = process.stdout.read()
    # wait4 gives the resource usage of this very process, not of every child so far.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"l'import a échoué (code {os.waitstatus_to_exitcode(status)})")
    peak_rss_mb = usage.ru_maxrss / 1024
    summary = json.loads(stdout.strip().splitlines()[-1])
    print(json.dumps(summary, ensure_ascii=False))
    print(f"lignes brutes       : {summary['lines']:,}".replace(",", " "))
    print(f"durée totale        : {seconds:.1f} s (dont démarrage du processus Django)")
    print(f"débit               : {summary['lines'] / seconds:,.0f} lignes/s".replace(",", " "))
    print(f"pic de mémoire (RSS): {peak_rss_mb:,.0f} Mo".replace(",", " "))


if __name__ == "__main__":
    main()
