"""Who may call what: every endpoint of the REST API v1, for each kind of caller.

The one table of the API's permissions, read three ways: ``tests/api/test_permission_table.py``
makes each call as each caller (with a valid body, on objects made for it) and checks the
status; ``python manage.py permission_table`` prints it as Markdown; ``docs/permissions.md``
is that output, and a test keeps it so. A route of the API without a row fails the tests.

A row is a method, a path under ``/api/v1/``, the object the call is about and the status
each caller gets. The object is ``own`` (the caller's: a campaign or goal they own, a lead
they own, their token, import or job, a notification to them, their own availability),
``other`` (someone else's), a state named in words, or empty (a list, or an object nobody
owns). Statuses: the success code of the call; 401 without credentials; 403 the role may
not; 404 not found or not visible to this caller; 409 a conflict of state.
"""

# The table is read in columns, so each row stays on one line, however long.
# ruff: noqa: E501

from typing import NamedTuple

#: The callers, in the order of a row's statuses.
CALLERS = ("anonymous", "outsider", "marketer", "rep", "manager", "admin")

#: Who each caller is.
CALLER_NOTES = {
    "anonymous": "no credentials",
    "outsider": "signed in, no role",
    "marketer": "the `marketing` role",
    "rep": "the `sales` role",
    "manager": "the `manager` role (of neither team)",
    "admin": "a superuser",
}


class Row(NamedTuple):
    method: str
    path: str
    object: str
    anonymous: int
    outsider: int
    marketer: int
    rep: int
    manager: int
    admin: int
    note: str = ""

    @property
    def statuses(self) -> dict[str, int]:
        return {caller: getattr(self, caller) for caller in CALLERS}


R = Row

# fmt: off
PERMISSIONS: list[Row] = [
    # method     path                                                 object                anon out  mkt  rep  mgr  admin
    R("GET",     "",                                                  "",                   401, 200, 200, 200, 200, 200, "the API's index"),

    R("GET",     "campaigns/",                                        "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "campaigns/",                                        "",                   401, 403, 201, 403, 201, 201),
    R("GET",     "campaigns/{id}/",                                   "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "campaigns/{id}/",                                   "other",              401, 403, 200, 200, 200, 200),
    R("PATCH",   "campaigns/{id}/",                                   "own",                401, 403, 200, 403, 200, 200),
    R("PATCH",   "campaigns/{id}/",                                   "other",              401, 403, 200, 403, 200, 200, "marketing edits every campaign"),
    R("DELETE",  "campaigns/{id}/",                                   "own",                401, 403, 204, 403, 204, 204, "nothing recorded on it yet"),
    R("DELETE",  "campaigns/{id}/",                                   "other",              401, 403, 204, 403, 204, 204, "nothing recorded on it yet"),
    R("DELETE",  "campaigns/{id}/",                                   "own, with spend",    401, 403, 409, 403, 409, 409, "archive it instead"),
    R("GET",     "campaigns/{id}/costs/",                             "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "campaigns/{id}/costs/",                             "other",              401, 403, 200, 200, 200, 200),
    R("POST",    "campaigns/{id}/costs/",                             "own",                401, 403, 201, 403, 201, 201),
    R("POST",    "campaigns/{id}/costs/",                             "other",              401, 403, 201, 403, 201, 201),

    R("GET",     "leads/",                                            "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "leads/",                                            "",                   401, 403, 201, 403, 201, 201, "a new email; a known one is 200"),
    R("POST",    "leads/bulk/",                                       "",                   401, 403, 200, 403, 200, 200),
    R("GET",     "leads/{id}/",                                       "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "leads/{id}/",                                       "other",              401, 403, 200, 200, 200, 200),
    R("PATCH",   "leads/{id}/",                                       "own",                401, 403, 200, 403, 200, 200),
    R("PATCH",   "leads/{id}/",                                       "other",              401, 403, 200, 403, 200, 200),
    R("POST",    "leads/{id}/stage/",                                 "own",                401, 403, 403, 200, 200, 200, "a SAL to SQL"),
    R("POST",    "leads/{id}/stage/",                                 "other",              401, 403, 403, 403, 200, 200, "a SAL to SQL"),
    R("POST",    "leads/{id}/stage/",                                 "unclaimed MQL",      401, 403, 200, 403, 200, 200, "back to recycled"),
    R("POST",    "leads/{id}/stage/",                                 "own, won",           401, 403, 403, 409, 409, 409, "to SQL: not a move the stages allow"),
    R("GET",     "leads/{id}/timeline/",                              "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "leads/{id}/timeline/",                              "other",              401, 403, 200, 200, 200, 200),
    R("GET",     "leads/{id}/comments/",                              "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "leads/{id}/comments/",                              "other",              401, 403, 200, 200, 200, 200),
    R("POST",    "leads/{id}/comments/",                              "own",                401, 403, 201, 201, 201, 201),
    R("POST",    "leads/{id}/comments/",                              "other",              401, 403, 201, 201, 201, 201),

    R("GET",     "touchpoints/",                                      "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "touchpoints/",                                      "",                   401, 403, 201, 403, 201, 201),

    R("GET",     "handoffs/",                                         "",                   401, 403, 200, 200, 200, 200),
    R("GET",     "handoffs/{id}/",                                    "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "handoffs/{id}/claim/",                              "team queue",         401, 403, 403, 200, 200, 200),
    R("POST",    "handoffs/{id}/claim/",                              "own",                401, 403, 403, 200, 200, 200, "offered to the caller"),
    R("POST",    "handoffs/{id}/claim/",                              "other",              401, 403, 403, 409, 200, 200, "offered to another rep, claim clock running"),
    R("POST",    "handoffs/{id}/claim/",                              "claimed",            401, 403, 403, 409, 409, 409, "another rep has it"),
    R("POST",    "handoffs/claim-next/",                              "",                   401, 403, 403, 200, 200, 200, "one open in the team queue"),
    R("POST",    "handoffs/claim-next/",                              "empty queue",        401, 403, 403, 204, 204, 204),
    R("POST",    "handoffs/{id}/reassign/",                           "team queue",         401, 403, 403, 403, 200, 200),
    R("POST",    "handoffs/{id}/reassign/",                           "rejected",           401, 403, 403, 403, 409, 409),
    R("POST",    "handoffs/{id}/reject/",                             "own",                401, 403, 403, 200, 200, 200, "claimed by the caller"),
    R("POST",    "handoffs/{id}/reject/",                             "other",              401, 403, 403, 403, 200, 200, "claimed by another rep"),
    R("POST",    "handoffs/{id}/reject/",                             "rejected",           401, 403, 403, 409, 409, 409),

    R("GET",     "activities/",                                       "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "activities/",                                       "own",                401, 403, 403, 201, 201, 201, "on a lead the caller owns"),
    R("POST",    "activities/",                                       "other",              401, 403, 403, 403, 201, 201, "on another rep's lead"),

    R("GET",     "notifications/",                                    "",                   401, 200, 200, 200, 200, 200),
    R("POST",    "notifications/{id}/read/",                          "own",                401, 200, 200, 200, 200, 200),
    R("POST",    "notifications/{id}/read/",                          "other",              401, 404, 404, 404, 404, 404),
    R("GET",     "notifications/preferences/",                        "",                   401, 200, 200, 200, 200, 200),
    R("PUT",     "notifications/preferences/",                        "",                   401, 200, 200, 200, 200, 200),
    R("PATCH",   "notifications/preferences/",                        "",                   401, 200, 200, 200, 200, 200),

    R("GET",     "agreement/",                                        "",                   401, 403, 200, 200, 200, 200),
    R("GET",     "agreement/versions/",                               "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "agreement/versions/",                               "",                   401, 403, 403, 403, 201, 201),
    R("GET",     "agreement/versions/{id}/",                          "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "agreement/versions/{id}/approve/",                  "draft",              401, 403, 403, 403, 403, 200, "for marketing: a marketing (or sales) manager signs"),
    R("POST",    "agreement/versions/{id}/approve/",                  "in force",           401, 403, 403, 403, 403, 409),

    R("GET",     "imports/",                                          "",                   401, 403, 200, 403, 200, 200),
    R("POST",    "imports/",                                          "",                   401, 403, 202, 403, 202, 202),
    R("GET",     "imports/{id}/",                                     "own",                401, 403, 200, 403, 200, 200),
    R("GET",     "imports/{id}/",                                     "other",              401, 403, 200, 403, 200, 200),
    R("GET",     "imports/{id}/errors/",                              "own",                401, 403, 200, 403, 200, 200),
    R("GET",     "imports/{id}/errors/",                              "other",              401, 403, 200, 403, 200, 200),
    R("GET",     "imports/{id}/errors.csv",                           "own",                401, 403, 200, 403, 200, 200, "CSV"),
    R("GET",     "imports/{id}/errors.csv",                           "other",              401, 403, 200, 403, 200, 200, "CSV"),

    R("GET",     "jobs/{id}/",                                        "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "jobs/{id}/",                                        "other",              401, 403, 404, 404, 200, 200),

    R("GET",     "scoring/rulesets/",                                 "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "scoring/rulesets/",                                 "",                   401, 403, 201, 403, 201, 201),
    R("GET",     "scoring/rulesets/{id}/",                            "",                   401, 403, 200, 200, 200, 200),
    R("PATCH",   "scoring/rulesets/{id}/",                            "own",                401, 403, 200, 403, 200, 200, "a draft"),
    R("PATCH",   "scoring/rulesets/{id}/",                            "other",              401, 403, 200, 403, 200, 200, "a draft"),
    R("PATCH",   "scoring/rulesets/{id}/",                            "in force",           401, 403, 409, 403, 409, 409),
    R("POST",    "scoring/rulesets/{id}/backtest/",                   "",                   401, 403, 200, 403, 200, 200, "a draft"),
    R("POST",    "scoring/rulesets/{id}/activate/",                   "own",                401, 403, 202, 403, 202, 202, "a draft"),
    R("POST",    "scoring/rulesets/{id}/activate/",                   "other",              401, 403, 202, 403, 202, 202, "a draft"),
    R("POST",    "scoring/rulesets/{id}/activate/",                   "in force",           401, 403, 409, 403, 409, 409),
    R("GET",     "scoring/calibration/",                              "",                   401, 403, 200, 403, 200, 200),

    R("GET",     "routing/rules/",                                    "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "routing/rules/",                                    "",                   401, 403, 403, 403, 201, 201),
    R("GET",     "routing/rules/{id}/",                               "",                   401, 403, 200, 200, 200, 200),
    R("PATCH",   "routing/rules/{id}/",                               "",                   401, 403, 403, 403, 200, 200),
    R("DELETE",  "routing/rules/{id}/",                               "",                   401, 403, 403, 403, 204, 204),
    R("POST",    "routing/dry-run/",                                  "",                   401, 403, 403, 403, 200, 200),
    R("GET",     "routing/calendar/",                                 "",                   401, 403, 200, 200, 200, 200),
    R("PUT",     "routing/calendar/",                                 "",                   401, 403, 403, 403, 200, 200),
    R("GET",     "reps/{id}/availability/",                           "own",                401, 403, 404, 200, 404, 404, "only a sales rep has one"),
    R("GET",     "reps/{id}/availability/",                           "other",              401, 403, 200, 200, 200, 200, "another rep's"),
    R("PUT",     "reps/{id}/availability/",                           "own",                401, 403, 403, 200, 404, 404, "time away"),
    R("PUT",     "reps/{id}/availability/",                           "other",              401, 403, 403, 403, 200, 200, "time away"),
    R("PUT",     "reps/{id}/availability/",                           "own, capacity",      401, 403, 403, 403, 404, 404, "only managers set capacities"),
    R("PUT",     "reps/{id}/availability/",                           "other, capacity",    401, 403, 403, 403, 200, 200),

    R("GET",     "kpis/summary/",                                     "",                   401, 403, 200, 200, 200, 200),
    R("GET",     "kpis/campaigns/",                                   "",                   401, 403, 200, 200, 200, 200),
    R("GET",     "kpis/reps/",                                        "",                   401, 403, 200, 200, 200, 200),
    R("GET",     "kpis/trend/",                                       "",                   401, 403, 200, 200, 200, 200),

    R("GET",     "goals/",                                            "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "goals/",                                            "company",            401, 403, 403, 403, 201, 201, "no scope"),
    R("POST",    "goals/",                                            "own",                401, 403, 201, 201, 201, 201, "scope: the caller"),
    R("POST",    "goals/",                                            "other",              401, 403, 403, 403, 201, 201, "scope: another user"),
    R("POST",    "goals/",                                            "own campaign",       401, 403, 201, 403, 201, 201, "scope: a campaign the caller owns"),
    R("POST",    "goals/",                                            "other's campaign",   401, 403, 403, 403, 201, 201),
    R("GET",     "goals/{id}/",                                       "own",                401, 403, 200, 200, 200, 200),
    R("GET",     "goals/{id}/",                                       "other",              401, 403, 200, 200, 200, 200),
    R("PATCH",   "goals/{id}/",                                       "own",                401, 403, 200, 200, 200, 200),
    R("PATCH",   "goals/{id}/",                                       "other",              401, 403, 403, 403, 200, 200),
    R("DELETE",  "goals/{id}/",                                       "own",                401, 403, 204, 204, 204, 204),
    R("DELETE",  "goals/{id}/",                                       "other",              401, 403, 403, 403, 204, 204),

    R("GET",     "tokens/",                                           "",                   401, 403, 200, 200, 200, 200),
    R("POST",    "tokens/",                                           "",                   401, 403, 201, 201, 201, 201),
    R("DELETE",  "tokens/{id}/",                                      "own",                401, 403, 204, 204, 204, 204),
    R("DELETE",  "tokens/{id}/",                                      "other",              401, 403, 404, 404, 404, 404),

    R("GET",     "webhooks/",                                         "",                   401, 403, 403, 403, 200, 200),
    R("POST",    "webhooks/",                                         "",                   401, 403, 403, 403, 201, 201),
    R("GET",     "webhooks/{id}/",                                    "own",                401, 403, 403, 403, 200, 200),
    R("GET",     "webhooks/{id}/",                                    "other",              401, 403, 403, 403, 200, 200),
    R("PATCH",   "webhooks/{id}/",                                    "own",                401, 403, 403, 403, 200, 200),
    R("PATCH",   "webhooks/{id}/",                                    "other",              401, 403, 403, 403, 200, 200),
    R("DELETE",  "webhooks/{id}/",                                    "own",                401, 403, 403, 403, 204, 204),
    R("DELETE",  "webhooks/{id}/",                                    "other",              401, 403, 403, 403, 204, 204),
    R("GET",     "webhooks/{id}/deliveries/",                         "",                   401, 403, 403, 403, 200, 200),
    R("POST",    "webhooks/{id}/test/",                               "",                   401, 403, 403, 403, 200, 200),
    R("GET",     "webhooks/{webhook_id}/deliveries/{id}/",            "",                   401, 403, 403, 403, 200, 200),
    R("GET",     "webhooks/{webhook_id}/deliveries/{id}/",            "another webhook's",  401, 403, 403, 403, 404, 404),
    R("POST",    "webhooks/{webhook_id}/deliveries/{id}/redeliver/",  "",                   401, 403, 403, 403, 202, 202),
    R("POST",    "webhooks/{webhook_id}/deliveries/{id}/redeliver/",  "another webhook's",  401, 403, 403, 403, 404, 404),
]
# fmt: on
