"""The demo's signing key: random, created once under var/ and kept, so `make run` needs no setting.

Outside demo mode the key comes from the SECRET_KEY environment variable only (config/settings.py
refuses to start without it): a key written in the repository would let anyone sign links.
"""

import os
import secrets
from pathlib import Path


def demo_secret_key(path: Path) -> str:
    """The key stored in `path`, created (readable by its owner only) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()
