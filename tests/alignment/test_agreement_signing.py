"""Signing the agreement: a marketing and a sales manager each approve a proposed version
for their side, and the second approval puts it in force; what each version changes; the
history; who hears about it; and two approvals at once on PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from alignment import notifications
from alignment.models import AgreementVersion, Notification
from alignment.roles import MANAGER, MARKETING, SALES, signing_sides
from alignment.services import (
    AgreementConflict,
    agreement_diff,
    agreement_history,
    agreement_in_force,
    approve_agreement,
    diff_base,
    propose_agreement,
    sides_open_to,
)
from handoffs.models import RejectionReason
from tests.concurrency import in_threads
from tests.factories import UserFactory

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Status = AgreementVersion.Status


def v1() -> AgreementVersion:
    return AgreementVersion.objects.get(number=1)


def fresh(version: AgreementVersion) -> AgreementVersion:
    return AgreementVersion.objects.get(pk=version.pk)


@pytest.fixture
def draft(manager) -> AgreementVersion:
    return propose_agreement(by=manager, based_on=v1(), notes="Tighter.", mql_threshold=65)


@pytest.fixture
def both_teams(db):
    """One person who manages marketing and sales."""
    return UserFactory(username="bea", first_name="Bea", roles=[MANAGER, MARKETING, SALES])


# Who signs for which side ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "sides"),
    [
        ([MANAGER, MARKETING], [MARKETING]),
        ([MANAGER, SALES], [SALES]),
        ([MANAGER, MARKETING, SALES], [MARKETING, SALES]),
        ([MANAGER], []),
        ([MARKETING], []),
        ([SALES], []),
        ([], []),
    ],
)
def test_a_manager_signs_for_the_teams_they_belong_to(db, roles, sides):
    assert signing_sides(UserFactory(roles=roles)) == sides


def test_a_superuser_may_sign_for_either_side(admin_user):
    assert signing_sides(admin_user) == [MARKETING, SALES]


# Two sides ---------------------------------------------------------------------------------


def test_the_first_approval_records_its_side_and_leaves_the_draft_a_draft(draft, marketing_manager):
    approve_agreement(draft, by=marketing_manager, now=NOW)

    stored = fresh(draft)
    assert (stored.status, stored.marketing_approved_by, stored.marketing_approved_at) == (
        Status.DRAFT,
        marketing_manager,
        NOW,
    )
    assert (stored.sales_approved_by, stored.sales_approved_at, stored.effective_at) == (
        None,
        None,
        None,
    )
    assert agreement_in_force().number == 1


def test_the_second_side_puts_the_draft_in_force_and_supersedes_the_old_version(
    draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager, now=NOW)
    later = NOW + timedelta(hours=3)

    returned = approve_agreement(draft, by=sales_manager, now=later)

    stored = fresh(draft)
    assert returned.status == stored.status == Status.IN_FORCE
    assert (stored.sales_approved_by, stored.sales_approved_at) == (sales_manager, later)
    assert stored.effective_at == later
    assert v1().status == Status.SUPERSEDED
    assert agreement_in_force() == stored
    assert AgreementVersion.objects.filter(status=Status.IN_FORCE).count() == 1


def test_sales_may_approve_first(draft, marketing_manager, sales_manager):
    approve_agreement(draft, by=sales_manager, now=NOW)
    approve_agreement(draft, by=marketing_manager, now=NOW)

    assert fresh(draft).status == Status.IN_FORCE


def test_the_version_in_force_sets_the_threshold_once_signed(
    draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    assert agreement_in_force().mql_threshold == 50

    approve_agreement(draft, by=sales_manager)

    assert agreement_in_force().mql_threshold == 65


def test_a_manager_of_both_teams_must_say_which_side(draft, both_teams):
    with pytest.raises(ValidationError) as error:
        approve_agreement(draft, by=both_teams)

    assert "say which side" in error.value.message_dict["side"][0]
    assert fresh(draft).marketing_approved_by is None


def test_a_manager_of_both_teams_signs_the_side_they_name(draft, both_teams):
    approve_agreement(draft, by=both_teams, side=SALES)

    stored = fresh(draft)
    assert (stored.sales_approved_by, stored.marketing_approved_by) == (both_teams, None)


def test_one_person_cannot_approve_both_sides(draft, both_teams):
    approve_agreement(draft, by=both_teams, side=MARKETING)

    with pytest.raises(AgreementConflict, match="marketing; sales needs another person"):
        approve_agreement(draft, by=both_teams, side=SALES)

    stored = fresh(draft)
    assert (stored.status, stored.sales_approved_by) == (Status.DRAFT, None)


def test_one_person_cannot_take_the_remaining_side_without_naming_it(
    draft, both_teams, sales_manager
):
    approve_agreement(draft, by=sales_manager)
    approve_agreement(draft, by=both_teams)

    stored = fresh(draft)
    assert (stored.marketing_approved_by, stored.status) == (both_teams, Status.IN_FORCE)


def test_the_database_refuses_one_person_on_both_sides(draft, both_teams):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementVersion.objects.filter(pk=draft.pk).update(
            marketing_approved_by=both_teams,
            marketing_approved_at=NOW,
            sales_approved_by=both_teams,
            sales_approved_at=NOW,
        )


def test_the_database_refuses_an_approval_without_its_time(draft, marketing_manager):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementVersion.objects.filter(pk=draft.pk).update(marketing_approved_by=marketing_manager)


def test_a_side_already_approved_is_refused(draft, marketing_manager):
    approve_agreement(draft, by=marketing_manager, now=NOW)
    second = UserFactory(username="meg", first_name="Meg", roles=[MANAGER, MARKETING])

    with pytest.raises(AgreementConflict, match="already approved for marketing by Mona"):
        approve_agreement(draft, by=second)

    assert fresh(draft).marketing_approved_by == marketing_manager


def test_a_third_approval_is_refused_once_the_version_is_in_force(
    draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    another = UserFactory(username="sid", first_name="Sid", roles=[MANAGER, SALES])

    with pytest.raises(AgreementConflict, match="v2 is in force: only a draft"):
        approve_agreement(draft, by=another)


def test_a_superseded_version_cannot_be_approved(marketing_manager):
    with pytest.raises(AgreementConflict, match="v1 is superseded"):
        AgreementVersion.objects.filter(number=1).update(status=Status.SUPERSEDED)
        approve_agreement(v1(), by=marketing_manager)


@pytest.mark.parametrize("persona_name", ["manager", "marketer", "rep", "outsider"])
def test_only_a_marketing_or_sales_manager_approves(request, draft, persona_name):
    with pytest.raises(PermissionDenied):
        approve_agreement(draft, by=request.getfixturevalue(persona_name))

    stored = fresh(draft)
    assert (stored.marketing_approved_by, stored.sales_approved_by) == (None, None)


def test_a_manager_cannot_approve_for_the_other_team(draft, marketing_manager):
    with pytest.raises(PermissionDenied, match="takes a sales manager"):
        approve_agreement(draft, by=marketing_manager, side=SALES)


def test_an_unknown_side_is_refused(draft, marketing_manager):
    with pytest.raises(ValidationError):
        approve_agreement(draft, by=marketing_manager, side="finance")


def test_the_page_offers_each_person_only_the_sides_open_to_them(
    draft, marketing_manager, sales_manager, both_teams, manager
):
    assert sides_open_to(draft, both_teams) == [MARKETING, SALES]
    assert sides_open_to(draft, manager) == []
    approve_agreement(draft, by=marketing_manager)
    draft = fresh(draft)

    assert sides_open_to(draft, marketing_manager) == []
    assert sides_open_to(draft, both_teams) == [SALES]
    assert sides_open_to(draft, sales_manager) == [SALES]


# A draft of an older version ---------------------------------------------------------------


def test_a_draft_of_an_older_version_may_still_replace_the_version_in_force(
    manager, marketing_manager, sales_manager
):
    second = propose_agreement(by=manager, based_on=v1(), mql_threshold=60)
    third = propose_agreement(by=manager, based_on=v1(), claim_sla_minutes=30)
    approve_agreement(second, by=marketing_manager)
    approve_agreement(second, by=sales_manager)

    diff = agreement_diff(fresh(third), diff_base(fresh(third), in_force=agreement_in_force()))
    assert diff.base == fresh(second)
    assert diff.stale
    assert diff.note == (
        "Compared with v2, in force now. v3 was proposed from v1: approving it replaces v2 "
        "as a whole."
    )
    # Against v2 it also takes the threshold back to v1's.
    assert [(c.term, c.before, c.after) for c in diff.changes] == [
        ("mql_threshold", 60, 50),
        ("claim_sla_minutes", 60, 30),
    ]

    approve_agreement(third, by=marketing_manager)
    approve_agreement(third, by=sales_manager)

    assert agreement_in_force() == fresh(third)
    assert (agreement_in_force().mql_threshold, agreement_in_force().claim_sla_minutes) == (50, 30)
    assert fresh(second).status == Status.SUPERSEDED


# What a version changes --------------------------------------------------------------------


def test_the_diff_lists_each_changed_term_with_before_and_after(manager):
    draft = propose_agreement(
        by=manager,
        based_on=v1(),
        mql_threshold=65,
        mql_requires_consent=True,
        rejection_reasons=["not_a_fit", "duplicate"],
    )

    diff = agreement_diff(draft, v1())

    assert [(c.label, c.before_text, c.after_text) for c in diff.changes] == [
        ("MQL threshold", "50", "65"),
        ("MQL needs consent", "no", "yes"),
        (
            "Rejection reasons sales may give",
            ", ".join(RejectionReason.values),
            "not_a_fit, duplicate",
        ),
    ]
    assert diff.note == "Compared with v1, in force."
    assert not diff.stale


def test_who_owns_a_stage_is_one_change_per_stage(manager):
    owners = dict(v1().responsibilities)
    owners["sal"] = {**owners["sal"], "accountable": "head of sales"}
    owners["won"] = {"responsible": "sales", "accountable": "sales manager"}

    draft = propose_agreement(by=manager, based_on=v1(), responsibilities=owners)
    changes = agreement_diff(draft, v1()).changes

    assert [(c.term, c.part) for c in changes] == [
        ("responsibilities", "sal"),
        ("responsibilities", "won"),
    ]
    assert changes[0].after["accountable"] == "head of sales"
    assert changes[1].before is None
    assert changes[1].after == {
        "responsible": "sales",
        "accountable": "sales manager",
        "consulted": "",
        "informed": "",
    }


def test_a_version_that_was_in_force_is_compared_with_what_it_was_proposed_from(
    draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    draft = fresh(draft)

    diff = agreement_diff(draft, diff_base(draft, in_force=draft))

    assert diff.base == v1()
    assert diff.note == "Compared with v1, which it was proposed from."
    assert [c.term for c in diff.changes] == ["mql_threshold"]


def test_the_first_version_has_nothing_to_compare_with(db):
    diff = agreement_diff(v1(), diff_base(v1(), in_force=v1()))

    assert (diff.base, diff.changes) == (None, [])
    assert diff.note == "v1 has nothing before it to compare with."


def test_codes_in_another_order_change_nothing(manager):
    reordered = list(reversed(v1().rejection_reasons))

    with pytest.raises(ValidationError, match="changes nothing in v1"):
        propose_agreement(by=manager, based_on=v1(), rejection_reasons=reordered)


def test_text_from_a_browser_form_changes_nothing(manager):
    definitions = v1().definitions.replace("\n", "\r\n") + "\r\n"

    with pytest.raises(ValidationError, match="changes nothing in v1"):
        propose_agreement(by=manager, based_on=v1(), definitions=definitions)


# The terms ---------------------------------------------------------------------------------


def test_the_first_version_allows_every_rejection_reason(db):
    assert v1().rejection_reasons == RejectionReason.values


def test_the_first_version_stays_in_force_with_its_start(db):
    assert (v1().status, v1().effective_at) == (Status.IN_FORCE, v1().created_at)


def test_a_proposal_must_leave_sales_at_least_one_reason(manager):
    with pytest.raises(ValidationError) as error:
        propose_agreement(by=manager, based_on=v1(), rejection_reasons=[])

    assert error.value.message_dict == {
        "rejection_reasons": ["Give at least one of the rejection reasons."]
    }


def test_a_stage_needs_someone_responsible_and_someone_accountable(manager):
    owners = {**v1().responsibilities, "sql": {"responsible": "sales", "informed": "marketing"}}

    with pytest.raises(ValidationError) as error:
        propose_agreement(by=manager, based_on=v1(), responsibilities=owners)

    assert error.value.message_dict == {"responsibilities": ["sql: say who is accountable."]}


def test_each_bad_term_gets_its_own_message(manager):
    with pytest.raises(ValidationError) as error:
        propose_agreement(
            by=manager,
            based_on=v1(),
            claim_sla_minutes=0,
            mql_threshold=-1,
            mql_required_fields="phone",
        )

    assert set(error.value.message_dict) == {
        "claim_sla_minutes",
        "mql_threshold",
        "mql_required_fields",
    }


def test_a_proposal_remembers_what_it_was_proposed_from(draft):
    assert fresh(draft).based_on == v1()


# The history -------------------------------------------------------------------------------


def test_the_history_lists_every_version_with_its_approvals_in_one_query(
    draft, manager, marketing_manager, sales_manager, django_assert_num_queries
):
    approve_agreement(draft, by=marketing_manager, now=NOW)
    approve_agreement(draft, by=sales_manager, now=NOW + timedelta(minutes=5))
    propose_agreement(by=manager, based_on=fresh(draft), claim_sla_minutes=30)

    with django_assert_num_queries(1):
        rows = [
            (
                version.number,
                version.status,
                version.proposed_by and version.proposed_by.username,
                version.marketing_approved_by and version.marketing_approved_by.username,
                version.sales_approved_by and version.sales_approved_by.username,
                version.based_on and version.based_on.number,
            )
            for version in agreement_history()
        ]

    assert rows == [
        (3, Status.DRAFT, "max", None, None, 2),
        (2, Status.IN_FORCE, "max", "mona", "saul", 1),
        (1, Status.SUPERSEDED, None, None, None, None),
    ]


# Who hears about it ------------------------------------------------------------------------


def inbox(kind: str) -> dict[str, str]:
    return {
        row.recipient.username: row.title
        for row in Notification.objects.filter(kind=kind).select_related("recipient")
    }


def test_a_proposal_tells_the_managers_of_both_sides_but_not_the_proposer(
    manager, marketing_manager, sales_manager, marketer, rep
):
    draft = propose_agreement(by=manager, based_on=v1(), notes="Tighter.", mql_threshold=65)

    assert inbox(notifications.AGREEMENT_PROPOSED) == {
        "mona": "Max Manager proposed v2 of the agreement",
        "saul": "Max Manager proposed v2 of the agreement",
    }
    body = Notification.objects.filter(recipient=sales_manager).get().body
    assert "MQL threshold: 50 → 65" in body
    assert "Why: Tighter." in body
    assert (
        Notification.objects.get(recipient=marketing_manager).url == f"/agreement/#v{draft.number}"
    )


def test_an_approval_tells_the_other_managers(draft, manager, marketing_manager, sales_manager):
    Notification.objects.all().delete()

    approve_agreement(draft, by=marketing_manager)

    title = "Mona Mercer approved v2 of the agreement for marketing"
    assert inbox(notifications.AGREEMENT_APPROVED) == {"max": title, "saul": title}
    assert Notification.objects.get(recipient=sales_manager).body == (
        "It takes effect once a sales manager approves it too."
    )


def test_taking_effect_tells_both_teams(draft, marketing_manager, sales_manager, marketer, rep):
    approve_agreement(draft, by=marketing_manager)
    Notification.objects.all().delete()

    approve_agreement(draft, by=sales_manager)

    assert inbox(notifications.AGREEMENT_IN_FORCE) == {
        "mia": "Agreement v2 is in force",
        "sam": "Agreement v2 is in force",
        "max": "Agreement v2 is in force",
        "mona": "Agreement v2 is in force",
    }
    assert not Notification.objects.filter(kind=notifications.AGREEMENT_APPROVED).exists()
    body = Notification.objects.get(recipient=marketer).body
    assert body.startswith("Approved by Mona Mercer for marketing and Saul Sterling for sales.")
    assert "It replaces v1.\nMQL threshold: 50 → 65" in body


def test_a_manager_who_turned_proposals_off_hears_nothing(manager, sales_manager):
    from alignment.services import update_preferences

    update_preferences(sales_manager, channels={notifications.AGREEMENT_PROPOSED: []})

    propose_agreement(by=manager, based_on=v1(), mql_threshold=65)

    assert not Notification.objects.filter(recipient=sales_manager).exists()


# Two approvals at once (PostgreSQL) --------------------------------------------------------

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="approvals at once need PostgreSQL row locks (set DATABASE_URL)",
)


def approving(version_id: int, user, side: str | None = None):
    def attempt() -> str:
        # A fresh copy per thread, as two web requests would load it.
        version = AgreementVersion.objects.get(pk=version_id)
        try:
            approve_agreement(version, by=user, side=side)
        except AgreementConflict:
            return f"refused:{user.username}"
        return f"approved:{user.username}"

    return attempt


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(3))
def test_two_drafts_completed_at_once_leave_exactly_one_in_force(round_number):
    manager = UserFactory(username="max", roles=[MANAGER])
    mona = UserFactory(username="mona", roles=[MANAGER, MARKETING])
    saul = UserFactory(username="saul", roles=[MANAGER, SALES])
    sid = UserFactory(username="sid", roles=[MANAGER, SALES])
    second = propose_agreement(by=manager, based_on=v1(), mql_threshold=60)
    third = propose_agreement(by=manager, based_on=v1(), mql_threshold=70)
    approve_agreement(second, by=mona)
    approve_agreement(third, by=mona)

    outcomes = in_threads(approving(second.pk, saul), approving(third.pk, sid))

    assert sorted(outcomes) == ["approved:saul", "approved:sid"], outcomes
    statuses = dict(AgreementVersion.objects.values_list("number", "status"))
    assert list(statuses.values()).count(Status.IN_FORCE) == 1, statuses
    assert statuses[1] == Status.SUPERSEDED
    assert sorted([statuses[2], statuses[3]]) == [Status.IN_FORCE, Status.SUPERSEDED]
    # The one that came second is in force: it superseded the first.
    last = AgreementVersion.objects.filter(number__in=[2, 3]).order_by("effective_at").last()
    assert last.status == Status.IN_FORCE


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_both_sides_approving_at_once_put_the_draft_in_force():
    manager = UserFactory(username="max", roles=[MANAGER])
    mona = UserFactory(username="mona", roles=[MANAGER, MARKETING])
    saul = UserFactory(username="saul", roles=[MANAGER, SALES])
    draft = propose_agreement(by=manager, based_on=v1(), mql_threshold=60)

    outcomes = in_threads(approving(draft.pk, mona), approving(draft.pk, saul))

    assert sorted(outcomes) == ["approved:mona", "approved:saul"], outcomes
    stored = fresh(draft)
    assert (stored.status, stored.marketing_approved_by, stored.sales_approved_by) == (
        Status.IN_FORCE,
        mona,
        saul,
    )
    assert v1().status == Status.SUPERSEDED


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_of_one_side_at_once_one_is_refused():
    manager = UserFactory(username="max", roles=[MANAGER])
    mona = UserFactory(username="mona", roles=[MANAGER, MARKETING])
    meg = UserFactory(username="meg", roles=[MANAGER, MARKETING])
    draft = propose_agreement(by=manager, based_on=v1(), mql_threshold=60)

    outcomes = in_threads(approving(draft.pk, mona), approving(draft.pk, meg))

    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"], outcomes
    winner = next(o.split(":")[1] for o in outcomes if o.startswith("approved"))
    assert fresh(draft).marketing_approved_by.username == winner
    assert fresh(draft).status == Status.DRAFT


# The demo ----------------------------------------------------------------------------------


def test_the_demo_managers_signed_the_first_agreement_before_its_history(db):
    from alignment.demo.cast import HISTORY_DAYS
    from alignment.management.commands.seed_demo import (
        ensure_users,
        logins,
        sign_first_agreement,
    )

    users = ensure_users(reset_passwords=False)
    sign_first_agreement(users, now=NOW)
    sign_first_agreement(users, now=NOW + timedelta(days=1))  # a second start signs nothing

    first = v1()
    assert (first.marketing_approved_by, first.sales_approved_by) == (
        users["cmo"],
        users["manager"],
    )
    assert first.marketing_approved_at == NOW - timedelta(days=HISTORY_DAYS + 14)
    assert first.effective_at == first.sales_approved_at == NOW - timedelta(days=HISTORY_DAYS + 13)
    assert first.status == Status.IN_FORCE
    assert (signing_sides(users["cmo"]), signing_sides(users["manager"])) == ([MARKETING], [SALES])
    assert "marketing manager  cmo       Lena Vogel" in logins()
    assert "sales manager      manager   Daniel Okafor" in logins()
