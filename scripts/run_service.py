"""Run the service for `make run`: the web server and the task worker, supervised.

- The task worker (`manage.py db_worker`) exits as soon as the database cannot be reached (a
  restart, a failover): it is started again after a delay that doubles at each quick failure
  (1 s up to 30 s), with a log line each time, so background exports and bulk edits resume.
- The web server exiting stops everything: it is the service.
- Ctrl-C (or SIGTERM) stops both, then the embedded PostgreSQL when the app uses it (no
  DATABASE_URL): that server is shared by every process of the app, so none of them stops it alone.

Usage, from the project root (see docs/exploitation.md):
    .venv/bin/python scripts/run_service.py --port 8000
`--web` and `--worker` replace the supervised commands (another server, or tests).
"""

import argparse
import dataclasses
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A worker that ran this long before exiting was not failing at start: its next delay starts over.
STABLE_SECONDS = 60.0
STOP_TIMEOUT = 10.0
POLL_SECONDS = 0.2

logger = logging.getLogger("zlv.supervisor")


@dataclasses.dataclass
class Child:
    name: str
    command: list[str]
    restart: bool
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT)
        self.started_at = time.monotonic()
        logger.info("%s a démarré (pid %s).", self.name, self.process.pid)


class Supervisor:
    def __init__(self, children: list[Child]):
        self.children = children
        self.stopping = False
        self.exit_code = 0

    def request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        for child in self.children:
            child.start()
        while not self.stopping:
            for child in self.children:
                self._watch(child)
            time.sleep(POLL_SECONDS)
        self._stop_children()
        return self.exit_code

    def _watch(self, child: Child) -> None:
        now = time.monotonic()
        if child.process is None:
            if now >= child.restart_at and not self.stopping:
                child.start()
            return
        code = child.process.poll()
        if code is None or self.stopping:
            return
        child.process = None
        if not child.restart:
            logger.error("%s s’est arrêté (code %s) : arrêt du service.", child.name, code)
            self.exit_code = code or 1
            self.stopping = True
            return
        if now - child.started_at >= STABLE_SECONDS:
            child.delay = FIRST_DELAY
        logger.warning("%s s’est arrêté (code %s) ; redémarrage dans %g s.", child.name, code, child.delay)
        child.restart_at = now + child.delay
        child.delay = min(child.delay * 2, MAX_DELAY)

    def _stop_children(self) -> None:
        running = [child for child in self.children if child.process and child.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in running:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s ne s’arrête pas : arrêt forcé.", child.name)
                child.process.kill()
                child.process.wait()


def stop_embedded_database() -> None:
    """Stop the embedded PostgreSQL of this checkout, unless the app uses another server."""
    if os.environ.get("DATABASE_URL"):
        return
    sys.path.insert(0, str(ROOT))
    from zlv.utils.embedded_db import stop_embedded_server

    var_dir = Path(os.environ.get("ZLV_VAR_DIR", ROOT / "var"))
    if stop_embedded_server(var_dir / "pgdata"):
        logger.info("PostgreSQL intégré arrêté.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    parser.add_argument("--web", help="commande du serveur web (défaut : gunicorn)")
    parser.add_argument("--worker", help="commande du traitement en arrière-plan (défaut : db_worker)")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [supervision] %(message)s")
    web = shlex.split(options.web) if options.web else _default_web(options.port)
    worker = shlex.split(options.worker) if options.worker else [sys.executable, "manage.py", "db_worker"]
    supervisor = Supervisor(
        [
            Child("Le serveur web", web, restart=False),
            Child("Le traitement en arrière-plan", worker, restart=True),
        ]
    )
    try:
        return supervisor.run()
    finally:
        stop_embedded_database()


def _default_web(port: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--timeout",
        "120",
        "--access-logfile",
        "-",
    ]


if __name__ == "__main__":
    sys.exit(main())
