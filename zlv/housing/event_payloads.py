"""Events that name an object belonging to one establishment (a group, a campaign, a document…).

A dwelling is shared by every establishment whose perimeter covers it, and so is its history. Such
an event stores, next to the object's title, the id of the establishment owning the object; the
history shows the title to that establishment only, the others read that something happened.
"""

ESTABLISHMENT_KEY = "establishmentId"


def owned_payload(establishment_id: int, **fields) -> dict:
    """The `old`/`new` payload of an event naming an object of `establishment_id`."""
    return {**fields, ESTABLISHMENT_KEY: establishment_id}


def owning_establishment_id(old: dict | None, new: dict | None) -> int | None:
    """The establishment owning the object an event names, or None (events recorded before it was
    stored, and events naming nothing of one establishment)."""
    return (new or {}).get(ESTABLISHMENT_KEY) or (old or {}).get(ESTABLISHMENT_KEY)
