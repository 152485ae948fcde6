"""Fixtures of the route walks: one object of every kind, and users inside and outside."""

import pytest

from tests.factories import (
    CommuneFactory,
    EstablishmentFactory,
    HousingFactory,
    HousingOwnerFactory,
    UserFactory,
)
from zlv.accounts.enums import Role
from zlv.accounts.models import Membership
from zlv.accounts.services import invitation_create
from zlv.campaigns.services import campaign_create
from zlv.geo.models import Perimeter
from zlv.housing.models import BulkUpdateJob, Document, HousingDocument, Note
from zlv.teamwork.models import ExportJob
from zlv.teamwork.services import group_create


@pytest.fixture
def world(db):
    douai, valenciennes = CommuneFactory(code="59178"), CommuneFactory(code="59606")
    mine = EstablishmentFactory(communes=[douai])
    agent = UserFactory(establishment=mine)
    housing = HousingFactory(geo_code="59178")
    note = Note.objects.create(housing=housing, content="Note", created_by=agent)
    link = HousingOwnerFactory(housing=housing)
    document = Document.objects.create(
        establishment=mine,
        file="documents/test/sample",
        filename="photo.png",
        content_type="image/png",
        size_bytes=10,
        created_by=agent,
    )
    HousingDocument.objects.create(document=document, housing=housing)
    return {
        "agent": agent,
        "visitor": UserFactory(establishment=mine, establishment__role=Role.VISITOR),
        "outsider": UserFactory(establishment=EstablishmentFactory(communes=[valenciennes])),
        "housing": housing,
        "note": note,
        "owner": link.owner,
        "document": document,
    }


@pytest.fixture
def owned(world, django_capture_on_commit_callbacks):
    """One object of every kind a URL can name, all belonging to the agent's establishment."""
    agent = world["agent"]
    establishment = agent.active_establishment
    admin = UserFactory(establishment=establishment, establishment__role=Role.ADMIN)
    group = group_create(
        establishment=establishment,
        by=agent,
        title="Centre",
        description="Vacance longue",
        filters_or_ids=[world["housing"].pk],
    )
    with django_capture_on_commit_callbacks(execute=False):
        invitation = invitation_create(
            establishment=establishment, email="x@douai.fr", role="usual", by=admin
        )
    return {
        "housing_id": world["housing"].pk,
        "note_id": world["note"].pk,
        "owner_id": world["owner"].pk,
        "document_id": world["document"].pk,
        "group_id": group.pk,
        "campaign_id": campaign_create(group=group, by=agent, title="Relance").pk,
        "perimeter_id": Perimeter.objects.create(
            establishment=establishment,
            name="Centre ancien",
            kind="OPAH",
            geometry_wkb=b"",
            min_longitude=3.0,
            min_latitude=50.0,
            max_longitude=3.1,
            max_latitude=50.1,
        ).pk,
        "membership_id": Membership.objects.get(user=agent).pk,
        "invitation_id": invitation.pk,
        "establishment_id": establishment.pk,
        "export_job_id": ExportJob.objects.create(
            establishment=establishment, created_by=agent, file_name="export.xlsx"
        ).pk,
        "bulk_job_id": BulkUpdateJob.objects.create(establishment=establishment, user=agent).pk,
    }
