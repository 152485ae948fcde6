"""Background jobs (exports, bulk edits) as their pages show them.

A job is "stuck" when it has waited for STUCK_AFTER without a worker taking it (no task worker
running), or has run for STUCK_AFTER without recording progress (its worker died during it: a
database restart, a server stop). Jobs record progress far more often than that (every chunk), so a
slow job is never taken for a stuck one. The page then says so and what to do.
"""

import datetime

from django.utils import timezone

STUCK_AFTER = datetime.timedelta(minutes=10)
STUCK_AFTER_LABEL = "10 minutes"


def job_is_stuck(
    *,
    pending: bool,
    running: bool,
    created_at: datetime.datetime,
    progress_at: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> bool:
    now = now or timezone.now()
    if pending:
        return now - created_at > STUCK_AFTER
    if running:
        return now - (progress_at or created_at) > STUCK_AFTER
    return False
