"""Settings of the test suite: the service's own, with a signing key used by tests only.

Tests run outside demo mode (ZLV_DEMO=0), where config/settings.py refuses to start without
SECRET_KEY; the key is set in the environment so that commands the tests start get it too.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-signing-key-never-used-outside-the-suite")

from config.settings import *  # noqa: E402, F403
