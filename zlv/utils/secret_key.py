"""The demo's signing key: random, created once under var/ and kept, so `make run` needs no setting.

Outside demo mode the key comes from the SECRET_KEY environment variable only (config/settings.py
refuses to start without it): a key written in the repository would let anyone sign links.
"""

import os
import secrets
from pathlib import Path


def demo_secret_key(path: Path) -> str:
    """The key stored in `path`, created (readable by its owner only) on first use.

    The web server and the task worker start together: the key is written whole to a private file
    and linked into place, so that a process never reads a half-written key and the first one wins.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()
