"""Wrong passwords are counted per username and per address: past the limit, later tries
wait without a password check, and the form says how long."""

import time

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from alignment import login_throttle

PASSWORD = "pass-word-123"
HOME = "127.0.0.1"  # the test client's address
ELSEWHERE = "10.0.0.2"
USERNAMES = ("sam", "rob", "max", "ada", *(f"nobody{n}" for n in range(30)))


@pytest.fixture(autouse=True)
def no_failures_counted(settings):
    """The cache outlives a test (Redis even outlives the run): each test starts and ends
    with none of its counts."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 20
    settings.LOGIN_FAILURE_WINDOW = 15 * 60

    def forget():
        for username in USERNAMES:
            login_throttle.forget_failures(username=username)
        for address in (HOME, ELSEWHERE):
            login_throttle.forget_failures(address=address)

    forget()
    yield
    forget()


@pytest.fixture
def clock(monkeypatch):
    """Time as the throttle (and the in-process cache) reads it, moved by hand."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


@pytest.fixture
def password_checks(monkeypatch):
    """Every password a user was checked against."""
    checked: list[str] = []
    real = AbstractBaseUser.check_password

    def counting(user, raw_password):
        checked.append(raw_password)
        return real(user, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting)
    return checked


def log_in(client: Client, username: str, password: str, address: str = HOME):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        log_in(client, username, "wrong-guess", address)


def test_from_the_sixth_wrong_password_on_no_password_is_checked(client, rep, password_checks):
    answers = [log_in(client, "sam", f"guess-{n}") for n in range(20)]

    assert password_checks == [f"guess-{n}" for n in range(5)]
    assert all(answer.status_code == 200 for answer in answers)
    assert not logged_in(client)


def test_the_right_password_is_refused_while_the_username_is_locked(client, rep):
    fail(client, "sam", 5)

    answer = log_in(client, "sam", PASSWORD)

    assert not logged_in(client)
    assert "Too many failed attempts." in answer.content.decode()


def test_the_form_says_how_long_to_wait(client, rep, clock):
    fail(client, "sam", 5)
    clock(3 * 60)

    page = log_in(client, "sam", PASSWORD).content.decode()

    assert "Too many failed attempts. Try again in 12 minutes." in page


def test_the_last_failure_allowed_already_says_how_long_to_wait(client, rep):
    fail(client, "sam", 4)

    page = log_in(client, "sam", "wrong-guess").content.decode()

    assert "Try again in 15 minutes." in page
    assert "correct username and password" not in page


def test_failures_below_the_limit_only_say_the_password_is_wrong(client, rep):
    fail(client, "sam", 3)

    page = log_in(client, "sam", "wrong-guess").content.decode()

    assert "correct username and password" in page
    assert "Too many failed attempts" not in page


def test_another_user_from_another_address_may_log_in(client, rep, other_rep):
    fail(client, "sam", 20)

    log_in(client, "rob", PASSWORD, address=ELSEWHERE)

    assert logged_in(client)


def test_the_locked_user_is_locked_from_every_address(client, rep):
    fail(client, "sam", 5)

    log_in(client, "sam", PASSWORD, address=ELSEWHERE)

    assert not logged_in(client)


def test_an_address_guessing_many_usernames_is_locked(client, rep, password_checks):
    for n in range(20):
        fail(client, f"nobody{n}", 1)

    page = log_in(client, "sam", PASSWORD).content.decode()

    assert not logged_in(client)
    assert "Too many failed attempts" in page
    assert PASSWORD not in password_checks


def test_a_locked_address_leaves_other_addresses_alone(client, rep):
    for n in range(20):
        fail(client, f"nobody{n}", 1)

    log_in(client, "sam", PASSWORD, address=ELSEWHERE)

    assert logged_in(client)


def test_a_username_is_counted_however_it_is_written(client, rep):
    for written in ("SAM", " sam", "Sam ", "sAm", "sam"):
        fail(client, written, 1)

    log_in(client, "sam", PASSWORD)

    assert not logged_in(client)


def test_a_success_clears_the_usernames_failures(client, rep):
    fail(client, "sam", 4)
    log_in(client, "sam", PASSWORD)
    client.logout()
    fail(client, "sam", 4)

    log_in(client, "sam", PASSWORD)

    assert logged_in(client)


def test_a_success_leaves_the_addresss_failures_counted(client, rep, other_rep):
    for n in range(19):
        fail(client, f"nobody{n}", 1)
    log_in(client, "rob", PASSWORD)
    client.logout()
    fail(client, "nobody19", 1)

    log_in(client, "sam", PASSWORD)

    assert not logged_in(client)


def test_tries_are_allowed_again_once_the_window_has_passed(client, rep, clock):
    fail(client, "sam", 5)
    clock(15 * 60 + 1)

    log_in(client, "sam", PASSWORD)

    assert logged_in(client)


def test_failures_spread_over_more_than_the_window_never_lock(client, rep, clock):
    fail(client, "sam", 4)
    clock(15 * 60 + 1)
    fail(client, "sam", 4)

    log_in(client, "sam", PASSWORD)

    assert logged_in(client)


def test_a_limit_of_zero_turns_the_throttle_off(client, rep, settings):
    settings.LOGIN_FAILURE_LIMIT = 0
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 0
    fail(client, "sam", 10)

    log_in(client, "sam", PASSWORD)

    assert logged_in(client)


def test_the_admin_login_is_locked_with_the_same_count(client, admin_user):
    fail(client, "ada", 5)

    page = client.post(
        reverse("admin:login"), {"username": "ada", "password": PASSWORD}
    ).content.decode()

    assert not logged_in(client)
    assert "Too many failed attempts. Try again in 15 minutes." in page


def test_wrong_passwords_on_the_admin_login_count_for_the_site_login(client, admin_user):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "ada", "password": "wrong-guess"})

    log_in(client, "ada", PASSWORD)

    assert not logged_in(client)


def test_a_cache_that_cannot_be_reached_lets_logins_through(client, rep, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get_many", "add", "incr", "set", "delete_many"):
        monkeypatch.setattr(login_throttle.cache, method, unreachable)
    fail(client, "sam", 6)

    log_in(client, "sam", PASSWORD)

    assert logged_in(client)
