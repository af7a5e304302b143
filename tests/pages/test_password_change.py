"""Every user may change their own password from the sidebar."""

import pytest
from django.test import Client
from django.urls import reverse

from alignment import login_throttle

OLD = "pass-word-123"
NEW = "a-much-longer-secret-42"


@pytest.fixture(autouse=True)
def no_failures_counted():
    login_throttle.forget_failures(username="sam", address="127.0.0.1")
    yield
    login_throttle.forget_failures(username="sam", address="127.0.0.1")


def change(browser: Client, old: str = OLD, new: str = NEW, again: str | None = None):
    return browser.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


@pytest.mark.parametrize("persona", ["marketer", "rep", "manager", "outsider"])
def test_every_user_has_the_page_and_a_link_to_it(request, client_as, persona):
    browser = client_as(request.getfixturevalue(persona))

    page = browser.get(reverse("password_change"))
    home = browser.get(reverse("notifications"))

    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    assert f'href="{reverse("password_change")}"' in home.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_new_password_works_and_the_old_one_no_longer_does(client_as, rep):
    response = change(client_as(rep))

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    rep.refresh_from_db()
    assert rep.check_password(NEW) and not rep.check_password(OLD)


def test_the_browser_that_changed_it_stays_logged_in(client_as, rep):
    browser = client_as(rep)
    change(browser)

    done = browser.get(reverse("password_change_done"))

    assert done.status_code == 200
    assert "Password changed" in done.content.decode()


def test_other_browsers_logged_in_as_the_user_are_logged_out(client_as, rep):
    other = client_as(rep)
    change(client_as(rep))

    response = other.get(reverse("notifications"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_wrong_current_password_changes_nothing(client_as, rep):
    response = change(client_as(rep), old="not-my-password")

    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    rep.refresh_from_db()
    assert rep.check_password(OLD)


def test_a_new_password_the_validators_refuse_is_explained(client_as, rep):
    response = change(client_as(rep), new="12345678")

    page = response.content.decode()
    assert "This password is too common." in page
    rep.refresh_from_db()
    assert rep.check_password(OLD)


def test_two_different_new_passwords_are_refused(client_as, rep):
    response = change(client_as(rep), again="something-else-entirely-9")

    assert "The two password fields didn’t match." in response.content.decode()


def test_wrong_current_passwords_count_towards_the_login_limit(client_as, rep, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    browser = client_as(rep)
    for _ in range(5):
        change(browser, old="guess")

    refused = change(browser)
    login = Client().post(reverse("login"), {"username": "sam", "password": OLD})

    assert "Too many failed attempts." in refused.content.decode()
    rep.refresh_from_db()
    assert rep.check_password(OLD)
    assert "Too many failed attempts." in login.content.decode()
