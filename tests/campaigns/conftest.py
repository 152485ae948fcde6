import pytest

from tests.teamwork.conftest import (  # noqa: F401 — fixtures shared with the teamwork tests
    agent,
    colleague,
    douai,
    dwellings,
    elsewhere,
    establishment,
    lens,
    other_establishment,
    outsider,
    text_of,
    visitor,
)
from zlv.campaigns.services import campaign_create
from zlv.teamwork.services import group_create


@pytest.fixture
def group(agent, establishment, dwellings):
    """A group of the three dwellings of Douai (statuses 0, 1 and 3)."""
    return group_create(
        establishment=establishment,
        by=agent,
        title="Centre-ville",
        description="Logements vacants du centre",
        filters_or_ids=[housing.pk for housing in dwellings],
    )


@pytest.fixture
def campaign(agent, group):
    """A campaign of the group, not sent yet."""
    return campaign_create(group=group, by=agent, title="Courrier de printemps", description="Premier envoi")
