"""The access helper of each object a page URL names (`/groupes/<group_id>/…`).

The role checks (zlv/accounts/decorators.py) look the objects up before refusing a role, so that
another establishment's object answers 404, never 403. A new URL parameter naming an object gets
its helper here; tests/www/test_write_permissions.py walks every such route.
"""

from zlv.accounts.decorators import register_object_access
from zlv.campaigns.selectors import campaign_for_user
from zlv.geo.perimeter_selectors import get_perimeter_for_user
from zlv.housing.document_selectors import document_for_user
from zlv.housing.record_selectors import housing_for_user, note_for_user, owner_record
from zlv.teamwork.selectors import group_for_user


def register() -> None:
    from zlv.www.team.views import member_or_404, pending_invitation_or_404

    for parameter, access in {
        "housing_id": housing_for_user,
        "note_id": note_for_user,
        "owner_id": owner_record,
        "document_id": document_for_user,
        "group_id": group_for_user,
        "campaign_id": campaign_for_user,
        "perimeter_id": get_perimeter_for_user,
        "membership_id": member_or_404,
        "invitation_id": pending_invitation_or_404,
    }.items():
        register_object_access(parameter, access)
