"""Where a new MQL goes, and why: the routing rules, the round robin, rep availability.
Split by topic; import them from here.

- ``decisions``: the active rules as routing reads them, and ``route`` itself.
- ``availability``: who can take a lead now (load, time away, capacity), and setting it.
- ``rules``: writing the rules (checks, create, update, delete) and their order.
- ``preview``: the dry run of the saved rules or a draft; nothing is written.
"""

from handoffs.routing.services.availability import (
    IN_PLAY,
    UNCHANGED,
    availability_of,
    available_reps,
    is_away,
    loads,
    set_availability,
    unavailable_reasons,
)
from handoffs.routing.services.decisions import (
    NO_MATCH,
    Route,
    compile_rules,
    compiled_rules,
    lead_facts,
    route,
)
from handoffs.routing.services.preview import (
    DryRunRow,
    compile_draft,
    dry_run,
    latest_mqls,
    rules_with,
)
from handoffs.routing.services.rules import create_rule, delete_rule, rule_errors, update_rule

__all__ = [
    "IN_PLAY",
    "NO_MATCH",
    "UNCHANGED",
    "DryRunRow",
    "Route",
    "availability_of",
    "available_reps",
    "compile_draft",
    "compile_rules",
    "compiled_rules",
    "create_rule",
    "delete_rule",
    "dry_run",
    "is_away",
    "latest_mqls",
    "lead_facts",
    "loads",
    "route",
    "rule_errors",
    "rules_with",
    "set_availability",
    "unavailable_reasons",
    "update_rule",
]
