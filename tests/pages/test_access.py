"""Who may open which page: each role gets 200 or 403, anonymous visitors go to login."""

import pytest
from django.urls import reverse

PAGES = {
    # name: (url factory, roles that may open it)
    "campaigns": (lambda ctx: reverse("campaigns:list"), {"marketer", "rep", "manager"}),
    "campaign_new": (lambda ctx: reverse("campaigns:create"), {"marketer", "manager"}),
    "campaign": (
        lambda ctx: reverse("campaigns:detail", args=[ctx["campaign"].pk]),
        {"marketer", "rep", "manager"},
    ),
    "campaign_edit": (
        lambda ctx: reverse("campaigns:edit", args=[ctx["campaign"].pk]),
        {"marketer", "manager"},
    ),
    "leads": (lambda ctx: reverse("leads:list"), {"marketer", "rep", "manager"}),
    "lead": (
        lambda ctx: reverse("leads:detail", args=[ctx["lead"].pk]),
        {"marketer", "rep", "manager"},
    ),
    "queue": (lambda ctx: reverse("handoffs:queue"), {"rep", "manager"}),
    "my_leads": (lambda ctx: reverse("handoffs:my_leads"), {"rep", "manager"}),
    "dashboard": (lambda ctx: reverse("kpis:dashboard"), {"marketer", "rep", "manager"}),
    "agreement": (lambda ctx: reverse("agreement"), {"marketer", "rep", "manager"}),
    "notifications": (lambda ctx: reverse("notifications"), {"marketer", "rep", "manager"}),
    "notification_preferences": (
        lambda ctx: reverse("notification_preferences"),
        {"marketer", "rep", "manager"},
    ),
    "routing": (lambda ctx: reverse("handoffs:routing"), {"marketer", "rep", "manager"}),
    "routing_new": (lambda ctx: reverse("handoffs:routing_new"), {"manager"}),
    "routing_edit": (
        lambda ctx: reverse("handoffs:routing_edit", args=[ctx["rule"].pk]),
        {"manager"},
    ),
    "business_hours": (lambda ctx: reverse("handoffs:calendar"), {"marketer", "rep", "manager"}),
    "team": (lambda ctx: reverse("handoffs:team"), {"rep", "manager"}),
}
ROLES = ("marketer", "rep", "manager", "outsider")


@pytest.fixture
def context(campaign, mql_lead, manager):
    from handoffs.routing.services import create_rule

    rule = create_rule(by=manager, name="Everyone", conditions=[], action="team_queue")
    return {"campaign": campaign, "lead": mql_lead, "rule": rule}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_answers_each_role_as_its_rules_say(request, client_as, context, page, role):
    url_for, allowed = PAGES[page]
    user = request.getfixturevalue(role)

    response = client_as(user).get(url_for(context))

    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, context, page):
    url = PAGES[page][0](context)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_anonymous_htmx_request_is_told_to_load_the_login_page(client, context):
    response = client.get(reverse("leads:list"), HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"].startswith(reverse("login"))


def test_a_refused_page_explains_which_roles_it_is_for(client_as, marketer):
    response = client_as(marketer).get(reverse("handoffs:queue"))

    assert response.status_code == 403
    assert "This page is for sales and managers." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("marketer", "campaigns:list"),
        ("rep", "handoffs:queue"),
        ("manager", "kpis:dashboard"),
    ],
)
def test_home_sends_each_role_to_where_its_day_starts(request, client_as, role, target):
    response = client_as(request.getfixturevalue(role)).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_home_tells_a_user_without_a_role_to_ask_an_admin(client_as, outsider):
    response = client_as(outsider).get(reverse("home"))

    assert response.status_code == 403
    assert "Ask an admin" in response.content.decode()


def test_home_sends_an_anonymous_visitor_to_login(client):
    response = client.get(reverse("home"))

    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_renders(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_logging_in_lands_on_the_start_page_of_the_role(client, rep):
    response = client.post(
        reverse("login"), {"username": "sam", "password": "pass-word-123"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("handoffs:queue")


def test_a_wrong_password_shows_an_error_on_the_login_form(client, rep):
    response = client.post(reverse("login"), {"username": "sam", "password": "nope"})

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logging_out_takes_a_post(client_as, rep):
    browser = client_as(rep)

    response = browser.post(reverse("logout"))

    assert response.status_code == 302
    assert browser.get(reverse("handoffs:queue")).status_code == 302


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        # The agreement is both sides' contract: everyone reads it, managers sign it.
        ("marketer", ["Campaigns", "Leads", "Agreement"], ["Queue", "My leads"]),
        ("rep", ["Queue", "My leads", "Dashboard", "Agreement"], ["Campaigns"]),
        ("manager", ["Dashboard", "Agreement", "Queue", "Leads"], ["My leads"]),
    ],
)
def test_the_navigation_fits_the_role(request, client_as, role, shown, hidden):
    response = client_as(request.getfixturevalue(role)).get(reverse("notifications"))
    nav = response.content.decode().split('aria-label="Main">')[1].split("</nav>")[0]

    for label in shown:
        assert f'<span class="nav__text">{label}</span>' in nav
    for label in hidden:
        assert f'<span class="nav__text">{label}</span>' not in nav
