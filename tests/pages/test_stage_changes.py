"""Stage buttons: moves that the rules allow, and refusals shown as form errors, never a 500."""

from decimal import Decimal

from django.urls import reverse

from leads.models import Stage, StageChange
from tests.factories import LeadFactory


def move(browser, lead, **data):
    return browser.post(reverse("handoffs:change_stage", args=[lead.pk]), data)


def test_a_marketer_qualifies_a_new_lead(client_as, marketer):
    lead = LeadFactory()

    response = move(client_as(marketer), lead, stage="mql")

    lead.refresh_from_db()
    assert response.status_code == 302
    assert lead.stage == Stage.MQL
    assert lead.handoffs.get().status == "open"


def test_a_disqualification_without_a_reason_is_shown_as_a_field_error(client_as, marketer):
    lead = LeadFactory()

    response = move(client_as(marketer), lead, stage="disqualified", reason="")

    lead.refresh_from_db()
    assert response.status_code == 400
    assert lead.stage == Stage.NEW
    assert "Say why." in response.content.decode()


def test_a_disqualification_with_a_reason_moves_the_lead(client_as, marketer):
    lead = LeadFactory()

    move(client_as(marketer), lead, stage="disqualified", reason="Student")

    change = StageChange.objects.get(lead=lead)
    assert (change.to_stage, change.reason, change.changed_by) == (
        "disqualified",
        "Student",
        marketer,
    )


def test_the_owner_marks_a_lead_as_sql(client_as, rep, claimed_lead):
    response = move(client_as(rep), claimed_lead, stage="sql")

    claimed_lead.refresh_from_db()
    assert response.status_code == 302
    assert claimed_lead.stage == Stage.SQL


def test_a_won_deal_without_an_amount_is_shown_as_a_field_error(client_as, rep, claimed_lead):
    browser = client_as(rep)
    move(browser, claimed_lead, stage="sql")

    response = move(browser, claimed_lead, stage="won", amount="")

    claimed_lead.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 400
    assert claimed_lead.stage == Stage.SQL
    assert "A won deal needs its amount." in body
    assert 'aria-invalid="true"' in body


def test_a_won_deal_records_its_amount(client_as, rep, claimed_lead):
    browser = client_as(rep)
    move(browser, claimed_lead, stage="sql")

    move(browser, claimed_lead, stage="won", amount="18000")

    change = StageChange.objects.get(lead=claimed_lead, to_stage="won")
    assert change.amount == Decimal("18000.00")


def test_the_lead_page_shows_the_won_amount_in_the_currency(client_as, rep, claimed_lead):
    browser = client_as(rep)
    move(browser, claimed_lead, stage="sql")
    move(browser, claimed_lead, stage="won", amount="18000")

    body = browser.get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert "SQL → Won · 18,000.00\u00a0EUR" in body


def test_the_deal_amount_field_names_the_currency(client_as, rep, claimed_lead):
    browser = client_as(rep)
    move(browser, claimed_lead, stage="sql")

    body = browser.get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert "Deal amount (EUR)" in body


def test_an_illegal_transition_is_a_409_with_the_reason(client_as, rep, claimed_lead):
    response = move(client_as(rep), claimed_lead, stage="won", amount="100")

    claimed_lead.refresh_from_db()
    assert response.status_code == 409
    assert claimed_lead.stage == Stage.SAL
    assert "cannot move from SAL to Won" in response.content.decode()


def test_a_rep_cannot_move_another_reps_lead(client_as, other_rep, claimed_lead):
    response = move(client_as(other_rep), claimed_lead, stage="sql")

    claimed_lead.refresh_from_db()
    assert response.status_code == 403
    assert claimed_lead.stage == Stage.SAL
    assert "belongs to another rep" in response.content.decode()


def test_a_marketer_cannot_mark_a_lead_as_sql(client_as, marketer, claimed_lead):
    response = move(client_as(marketer), claimed_lead, stage="sql")

    claimed_lead.refresh_from_db()
    assert response.status_code == 403
    assert claimed_lead.stage == Stage.SAL


def test_an_unknown_stage_is_a_form_error(client_as, marketer):
    lead = LeadFactory()

    response = move(client_as(marketer), lead, stage="promoted")

    assert response.status_code == 400
    assert lead.stage_changes.count() == 0


def test_a_move_returns_to_the_page_it_came_from(client_as, rep, claimed_lead):
    my_leads = reverse("handoffs:my_leads")

    response = move(client_as(rep), claimed_lead, stage="sql", next=my_leads)

    assert response["Location"] == my_leads


def test_a_move_never_returns_to_another_site(client_as, rep, claimed_lead):
    response = move(client_as(rep), claimed_lead, stage="sql", next="https://evil.example/")

    assert response["Location"] == reverse("leads:detail", args=[claimed_lead.pk])


def test_an_outsider_cannot_move_a_lead(client_as, outsider):
    lead = LeadFactory()

    response = move(client_as(outsider), lead, stage="mql")

    assert response.status_code == 403


def test_a_stage_change_needs_a_post(client_as, marketer):
    lead = LeadFactory()

    response = client_as(marketer).get(reverse("handoffs:change_stage", args=[lead.pk]))

    assert response.status_code == 405


def test_a_marketer_sees_no_stage_buttons_on_a_lead_sales_is_working(
    client_as, marketer, claimed_lead
):
    page = client_as(marketer).get(reverse("leads:detail", args=[claimed_lead.pk]))

    assert page.status_code == 200
    assert 'value="disqualified"' not in page.content.decode()


def test_the_owner_sees_the_stage_buttons_of_a_claimed_lead(client_as, rep, claimed_lead):
    page = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert 'value="sql"' in page
    assert 'value="disqualified"' in page
