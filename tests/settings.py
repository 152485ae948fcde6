"""Settings of the test suite: the service's own, with a signing key used by tests only.

Tests run outside demo mode (ZLV_DEMO=0), where config/settings.py refuses to start without
SECRET_KEY; the key is set in the environment so that commands the tests start get it too.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-signing-key-never-used-outside-the-suite")

from config.settings import *  # noqa: E402, F403

# Hashing a password the production way costs about 0.3 s, and the suite creates thousands of
# accounts: tests use a cheap hasher (passwords here protect nothing).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
