"""The rules pages: who may see and do what, the editor with and without htmx, the
preview, the backtest and activation."""

import pytest
from django.urls import reverse

from alignment.models import Job
from leads.models import Lead, ScoringRule, ScoringRuleSet
from leads.scoring.rules import services
from leads.scoring.rules.forms import PREFIX
from tests.factories import LeadFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def draft(active, marketer):
    return services.copy_to_draft(active, by=marketer)


def editor_data(ruleset, **changes):
    """The editor's form as the browser posts it, from the version's rules; ``changes``
    maps ``"<index>-<name>"`` to a new value."""
    rules = list(ScoringRule.objects.filter(ruleset=ruleset))
    data = {
        "name": ruleset.name,
        "decay_half_life_days": ruleset.decay_half_life_days,
        "note": ruleset.note,
        f"{PREFIX}-TOTAL_FORMS": len(rules),
        f"{PREFIX}-INITIAL_FORMS": len(rules),
        f"{PREFIX}-MIN_NUM_FORMS": 0,
        f"{PREFIX}-MAX_NUM_FORMS": 1000,
    }
    for index, rule in enumerate(rules):
        for name in ("kind", "label", "field", "operator", "value", "touchpoint_kind", "points"):
            data[f"{PREFIX}-{index}-{name}"] = getattr(rule, name)
        data[f"{PREFIX}-{index}-cap"] = "" if rule.cap is None else rule.cap
        if rule.disqualifies:
            data[f"{PREFIX}-{index}-disqualifies"] = "on"
    for key, value in changes.items():
        data[f"{PREFIX}-{key}"] = value
    return data


def index_of(ruleset, label):
    return list(ScoringRule.objects.filter(ruleset=ruleset).values_list("label", flat=True)).index(
        label
    )


@pytest.mark.parametrize(
    ("role", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_the_list_of_versions_by_role(request, client_as, active, role, status):
    response = client_as(request.getfixturevalue(role)).get(reverse("leads:rules"))
    assert response.status_code == status


def test_an_anonymous_visitor_is_sent_to_log_in(client, active):
    response = client.get(reverse("leads:rules"))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_the_list_shows_each_version_with_its_status(client_as, rep, draft, active):
    page = client_as(rep).get(reverse("leads:rules")).content.decode()
    assert f"v{active.pk} · Default rules" in page
    assert f"v{draft.pk}" in page
    assert "New draft" not in page


def test_the_list_costs_a_fixed_number_of_queries(
    client_as, marketer, draft, django_assert_max_num_queries
):
    browser = client_as(marketer)
    with django_assert_max_num_queries(10):
        browser.get(reverse("leads:rules"))


def test_sales_read_a_draft_without_an_editor(client_as, rep, draft):
    page = client_as(rep).get(reverse("leads:rules_detail", args=[draft.pk])).content.decode()
    assert "Senior title" in page
    assert "Save draft" not in page
    assert "Copy to a new draft" not in page


def test_a_marketer_makes_a_draft_from_the_version_in_force(client_as, marketer, active):
    response = client_as(marketer).post(reverse("leads:rules_new"))
    draft = ScoringRuleSet.objects.get(status="draft")
    assert response.status_code == 302
    assert response.url == reverse("leads:rules_detail", args=[draft.pk])
    assert (draft.based_on, draft.created_by) == (active, marketer)


def test_a_draft_can_copy_a_retired_version(client_as, marketer, draft, active):
    services.activate_ruleset(draft, by=marketer)
    client_as(marketer).post(reverse("leads:rules_new"), {"from": active.pk})
    copy = ScoringRuleSet.objects.get(status="draft")
    assert copy.based_on == active


def test_a_draft_from_a_version_that_does_not_exist_is_a_404(client_as, marketer, active):
    assert client_as(marketer).post(reverse("leads:rules_new"), {"from": "x1"}).status_code == 404


def test_sales_may_not_make_a_draft(client_as, rep, active):
    assert client_as(rep).post(reverse("leads:rules_new")).status_code == 403
    assert not ScoringRuleSet.objects.filter(status="draft").exists()


def test_the_editor_shows_the_draft_rules_and_a_preview(client_as, marketer, draft):
    LeadFactory(first_name="Pia", last_name="Preview")
    page = client_as(marketer).get(reverse("leads:rules_detail", args=[draft.pk])).content.decode()
    assert 'value="Senior title (VP, Head, Director, Chief)"' in page
    assert "Pia Preview" in page
    assert "Save draft" in page


def test_saving_the_editor_changes_the_draft(client_as, marketer, draft):
    index = index_of(draft, "Target market")
    data = {**editor_data(draft, **{f"{index}-points": 12}), "note": "Markets matter more"}
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.rules.get(label="Target market").points == 12
    assert (draft.note, draft.updated_by) == ("Markets matter more", marketer)


def test_a_bad_regular_expression_is_shown_beside_its_rule_and_nothing_is_saved(
    client_as, marketer, draft
):
    index = index_of(draft, "Manager title")
    data = editor_data(draft, **{f"{index}-value": "(manager"})
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="id_{PREFIX}-{index}-value_error"' in page
    assert "Not a valid regular expression" in page
    assert draft.rules.get(label="Manager title").value != "(manager"


def test_adding_a_rule_row_saves_nothing(client_as, marketer, draft):
    count = draft.rules.count()
    data = {**editor_data(draft), "action": "add_fit"}
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert response.status_code == 200
    assert f'name="{PREFIX}-{count}-field"' in response.content.decode()
    assert draft.rules.count() == count


def test_a_row_added_and_filled_in_is_saved(client_as, marketer, draft):
    count = draft.rules.count()
    data = editor_data(
        draft,
        **{
            f"{count}-kind": "fit",
            f"{count}-label": "Competitor",
            f"{count}-field": "email_domain",
            f"{count}-operator": "equals",
            f"{count}-value": "rival.com",
            f"{count}-points": "0",
            f"{count}-disqualifies": "on",
        },
    )
    data[f"{PREFIX}-TOTAL_FORMS"] = data[f"{PREFIX}-INITIAL_FORMS"] = count + 1
    client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    competitor = draft.rules.get(label="Competitor")
    assert (competitor.disqualifies, competitor.kind) == (True, "fit")


def test_a_row_added_and_left_empty_is_an_error(client_as, marketer, draft):
    count = draft.rules.count()
    data = editor_data(draft, **{f"{count}-kind": "engagement"})
    data[f"{PREFIX}-TOTAL_FORMS"] = data[f"{PREFIX}-INITIAL_FORMS"] = count + 1
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert response.status_code == 422
    assert draft.rules.count() == count


def test_removing_a_row_takes_it_out_of_the_editor(client_as, marketer, draft):
    index = index_of(draft, "Target market")
    data = {**editor_data(draft), "action": f"remove_{index}"}
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert 'value="Target market"' not in response.content.decode()
    assert draft.rules.filter(label="Target market").exists()


def test_with_htmx_the_editor_answers_its_fragment(client_as, marketer, draft):
    data = {**editor_data(draft), "action": "add_engagement"}
    response = client_as(marketer).post(
        reverse("leads:rules_detail", args=[draft.pk]), data, **HTMX
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="rules-editor"')
    assert "<html" not in page


def test_with_htmx_a_save_tells_the_browser_to_reload(client_as, marketer, draft):
    response = client_as(marketer).post(
        reverse("leads:rules_detail", args=[draft.pk]), editor_data(draft), **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("leads:rules_detail", args=[draft.pk])


def test_sales_may_not_post_to_the_editor(client_as, rep, draft):
    response = client_as(rep).post(
        reverse("leads:rules_detail", args=[draft.pk]), editor_data(draft)
    )
    assert response.status_code == 200
    assert "Save draft" not in response.content.decode()
    assert draft.updated_at is None


def test_the_preview_scores_the_sample_under_the_rules_as_typed(client_as, marketer, draft):
    LeadFactory(first_name="Pia", last_name="Preview")  # 30 points by the rules in force
    index = index_of(draft, "Target market")
    data = editor_data(draft, **{f"{index}-points": 25})
    response = client_as(marketer).post(
        reverse("leads:rules_preview", args=[draft.pk]), data, **HTMX
    )
    page = response.content.decode()
    assert "Pia Preview" in page
    assert '<span class="points-plus">+20</span>' in page
    assert draft.rules.get(label="Target market").points == 5


def test_the_preview_lists_what_to_fix(client_as, marketer, draft):
    index = index_of(draft, "Company of 51–200 people")
    data = editor_data(draft, **{f"{index}-value": "lots"})
    response = client_as(marketer).post(
        reverse("leads:rules_preview", args=[draft.pk]), data, **HTMX
    )
    assert "Fix these to see the preview" in response.content.decode()
    assert "Fit rule" in response.content.decode()


def test_sales_may_not_preview(client_as, rep, draft):
    response = client_as(rep).post(
        reverse("leads:rules_preview", args=[draft.pk]), editor_data(draft)
    )
    assert response.status_code == 403


def test_the_backtest_answers_a_fragment_with_htmx(client_as, marketer, draft):
    response = client_as(marketer).post(reverse("leads:rules_backtest", args=[draft.pk]), **HTMX)
    assert "MQLs it would have made" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_backtest_is_a_page_without_javascript(client_as, marketer, draft):
    response = client_as(marketer).post(reverse("leads:rules_backtest", args=[draft.pk]))
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_activation_puts_the_draft_in_force_and_rescores(
    client_as, marketer, draft, active, django_capture_on_commit_callbacks
):
    lead = LeadFactory()
    draft.rules.filter(label="Target market").update(points=25)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(marketer).post(reverse("leads:rules_activate", args=[draft.pk]))
    job = Job.objects.get(kind="rescore")
    assert response.url == reverse("leads:rules_detail", args=[draft.pk]) + f"?job={job.pk}"
    draft.refresh_from_db()
    active.refresh_from_db()
    assert (draft.status, active.status, job.status) == ("active", "retired", "done")
    assert Lead.objects.get(pk=lead.pk).score == 50


def test_the_version_page_follows_the_rescore(client_as, marketer, draft):
    browser = client_as(marketer)
    browser.post(reverse("leads:rules_activate", args=[draft.pk]))
    job = Job.objects.get(kind="rescore")
    page = browser.get(reverse("leads:rules_detail", args=[draft.pk]) + f"?job={job.pk}")
    assert 'id="rescore"' in page.content.decode()
    progress = browser.get(reverse("leads:rules_rescore", args=[job.pk]), **HTMX).content.decode()
    assert "Waiting for a worker" in progress
    assert 'hx-trigger="every 1s"' in progress


def test_a_finished_rescore_stops_polling(
    client_as, marketer, draft, django_capture_on_commit_callbacks
):
    browser = client_as(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("leads:rules_activate", args=[draft.pk]))
    job = Job.objects.get(kind="rescore")
    progress = browser.get(reverse("leads:rules_rescore", args=[job.pk]), **HTMX).content.decode()
    assert "Every lead rescored" in progress
    assert "hx-trigger" not in progress


def test_activating_a_retired_version_is_refused_with_a_message(client_as, marketer, draft, active):
    browser = client_as(marketer)
    browser.post(reverse("leads:rules_activate", args=[draft.pk]))
    response = browser.post(reverse("leads:rules_activate", args=[active.pk]), follow=True)
    assert "only a draft" in response.content.decode()
    assert ScoringRuleSet.objects.get(status="active") == draft


def test_sales_may_not_activate(client_as, rep, draft):
    assert client_as(rep).post(reverse("leads:rules_activate", args=[draft.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_another_user_cannot_follow_a_rescore_they_did_not_start(client_as, marketer, rep, draft):
    client_as(marketer).post(reverse("leads:rules_activate", args=[draft.pk]))
    job = Job.objects.get(kind="rescore")
    assert client_as(rep).get(reverse("leads:rules_rescore", args=[job.pk])).status_code == 404


def test_a_version_in_force_shows_what_it_changed(client_as, rep, draft, marketer):
    draft.rules.filter(label="Target market").update(points=25)
    services.activate_ruleset(draft, by=marketer)
    page = client_as(rep).get(reverse("leads:rules_detail", args=[draft.pk])).content.decode()
    assert "Changed" in page
    assert "Target market" in page


def test_a_mangled_editor_post_answers_422_not_an_error(client_as, marketer, draft):
    data = {"action": "save", "name": "x", f"{PREFIX}-TOTAL_FORMS": "many"}
    response = client_as(marketer).post(reverse("leads:rules_detail", args=[draft.pk]), data)
    assert response.status_code == 422
    assert draft.rules.count() == 16
