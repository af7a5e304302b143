"""Handoff services, split by topic; import them from here.

- ``handoffs``: open with a brief and a route, claim (one winner), reject.
- ``work``: activities and stage changes with their role rules.
- ``sla``: escalation of handoffs past their deadlines.
- ``merging``: what a merge of two leads does to their handoffs.
"""

from handoffs.services.handoffs import (
    INTENT_KINDS,
    LEAVES_SALES,
    WORKED,
    AlreadyClaimed,
    HandoffClosed,
    NotAllowed,
    Route,
    build_brief,
    claim_handoff,
    live_handoff,
    on_lead_stage_changed,
    open_handoff,
    reject_handoff,
    route,
)
from handoffs.services.merging import on_lead_merged
from handoffs.services.sla import escalate_overdue
from handoffs.services.work import (
    SALES_STAGES,
    STAGE_ROLES,
    log_activity,
    move_lead,
    move_refusal,
)

__all__ = [
    "INTENT_KINDS",
    "LEAVES_SALES",
    "SALES_STAGES",
    "STAGE_ROLES",
    "WORKED",
    "AlreadyClaimed",
    "HandoffClosed",
    "NotAllowed",
    "Route",
    "build_brief",
    "claim_handoff",
    "escalate_overdue",
    "live_handoff",
    "log_activity",
    "move_lead",
    "move_refusal",
    "on_lead_merged",
    "on_lead_stage_changed",
    "open_handoff",
    "reject_handoff",
    "route",
]
