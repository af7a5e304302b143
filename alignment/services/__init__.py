"""Writes that belong to the meeting room, split by topic; import them from here.

- ``agreement``: the agreement in force, proposals of the next version, the two sides'
  approvals that put one in force, the history; ``agreement_terms``: the terms, their
  checks and what one version changes in another.
- ``team_calendar``: the team's business hours and time zone.
- ``inbox``: writing notifications by each reader's channels; read marks; preferences.
- ``delivery``: sending the email copies and the daily digests, each once.
"""

from alignment.services.agreement import (
    AgreementConflict,
    NoAgreementInForce,
    agreement_history,
    agreement_in_force,
    agreement_url,
    approve_agreement,
    propose_agreement,
    sides_open_to,
)
from alignment.services.agreement_terms import (
    AGREEMENT_TERMS,
    MAX_SLA_MINUTES,
    AgreementDiff,
    TermChange,
    agreement_diff,
    diff_base,
    sla_segment_errors,
)
from alignment.services.delivery import (
    DIGEST_HOUR,
    deliver_notification,
    mark_failed,
    send_digests,
)
from alignment.services.inbox import (
    Message,
    Text,
    mark_all_read,
    mark_read,
    notify,
    notify_managers,
    notify_many,
    notify_role,
    notify_sales,
    preferences_of,
    update_preferences,
    users_with_role,
)
from alignment.services.team_calendar import (
    team_calendar_row,
    team_time_zone,
    update_team_calendar,
    working_calendar,
)

__all__ = [
    "AGREEMENT_TERMS",
    "DIGEST_HOUR",
    "MAX_SLA_MINUTES",
    "AgreementConflict",
    "AgreementDiff",
    "Message",
    "NoAgreementInForce",
    "TermChange",
    "Text",
    "agreement_diff",
    "agreement_history",
    "agreement_in_force",
    "agreement_url",
    "approve_agreement",
    "diff_base",
    "deliver_notification",
    "mark_all_read",
    "mark_failed",
    "mark_read",
    "notify",
    "notify_managers",
    "notify_many",
    "notify_role",
    "notify_sales",
    "preferences_of",
    "propose_agreement",
    "send_digests",
    "sides_open_to",
    "sla_segment_errors",
    "team_calendar_row",
    "team_time_zone",
    "update_preferences",
    "update_team_calendar",
    "users_with_role",
    "working_calendar",
]
