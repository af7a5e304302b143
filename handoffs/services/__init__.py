"""Handoff services, split by topic; import them from here.

- ``handoffs``: open with a brief and a route, reassign, reject, end when the lead leaves
  sales; the exceptions.
- ``claims``: claim (one winner) and claim next.
- ``news``: who is told what (routed, queued, taken back, sent back, won).
- ``handoffs.routing.services`` (re-exported): where a new MQL goes, and why.
- ``work``: activities and stage changes with their role rules.
- ``sla``: escalation of handoffs past their deadlines.
- ``merging``: what a merge of two leads does to their handoffs.
"""

from handoffs.routing.services import Route, route
from handoffs.services.claims import claim_handoff, claim_next
from handoffs.services.handoffs import (
    INTENT_KINDS,
    LEAVES_SALES,
    WORKED,
    AlreadyClaimed,
    HandoffClosed,
    NotAllowed,
    OfferedToAnother,
    build_brief,
    live_handoff,
    on_lead_stage_changed,
    open_handoff,
    reassign_handoff,
    reject_handoff,
    rejection_reasons,
)
from handoffs.services.merging import on_lead_merged
from handoffs.services.news import on_notification_delivered
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
    "OfferedToAnother",
    "Route",
    "build_brief",
    "claim_handoff",
    "claim_next",
    "escalate_overdue",
    "live_handoff",
    "log_activity",
    "move_lead",
    "move_refusal",
    "on_lead_merged",
    "on_lead_stage_changed",
    "on_notification_delivered",
    "open_handoff",
    "reassign_handoff",
    "reject_handoff",
    "rejection_reasons",
    "route",
]
