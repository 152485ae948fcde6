"""Random secrets handed out in links and headers, stored only as their hash.

A token is worth what its randomness is worth: knowing the signing key or reading the database
gives nothing to forge or reuse (unlike a signed sequential id).
"""

import hashlib
import secrets


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
