"""French numbers and plurals, written one way on every page, e-mail and message.

Thousands are grouped with a narrow no-break space ("1 310", never "1310" nor "1,310"), and 0 and 1
take the singular ("0 logement", "1 logement", "2 logements"), as French does.
"""

from decimal import Decimal

NARROW_NO_BREAK_SPACE = "\u202f"


def format_number(number: int | float | Decimal) -> str:
    """A whole number with French grouping: 12 345 (amounts are rounded to the unit)."""
    return f"{round(number):,}".replace(",", NARROW_NO_BREAK_SPACE)


def plural(number: int, singular: str, plural_form: str) -> str:
    """The word that agrees with `number`: the singular for 0 and 1."""
    return singular if -2 < number < 2 else plural_form


def count_phrase(number: int, singular: str, plural_form: str) -> str:
    """ "1 310 logements", "0 logement"."""
    return f"{format_number(number)} {plural(number, singular, plural_form)}"
