"""Text typed by people or sent by programs: what the service accepts."""

import re

# C0 control characters except tab, line feed and carriage return, and DEL: PostgreSQL refuses the
# NUL byte in text, and the others are invisible and break exports, letters and searches.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = (
    "Le texte saisi contient un caractère de contrôle (un caractère invisible, comme l’octet nul) : "
    "retirez-le puis réessayez."
)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None
