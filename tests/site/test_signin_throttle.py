"""Sign-in throttling: a burst of wrong passwords for one username from one address is refused with
429 and a message naming the limit, even with the right password, until the lockout has passed;
another address is not locked out, and the right password then signs in (API, page and ASGI)."""

import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from tests.site.conftest import Api

pytestmark = pytest.mark.django_db

FAILURES, LOCKOUT = 3, 1
LOCKED = (
    "too many failed sign-ins: after 3 wrong passwords for this username from this address "
    "(MVLAB_SIGNIN_FAILURES), sign-in is refused for 1 s (MVLAB_SIGNIN_LOCKOUT_SECONDS) "
    "after the last attempt"
)


@pytest.fixture(autouse=True)
def short_lockout(settings):
    settings.MVLAB_SIGNIN_FAILURES, settings.MVLAB_SIGNIN_LOCKOUT_SECONDS = FAILURES, LOCKOUT


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(username="ada", password="correct horse")


def _api(address: str = "127.0.0.1") -> Api:
    return Api(Client(enforce_csrf_checks=True, REMOTE_ADDR=address))


def _sign_in(api: Api, password: str):
    return api.post("/session", {"username": "ada", "password": password})


def _after_the_lockout() -> None:
    time.sleep(LOCKOUT + 0.5)


def test_a_burst_of_wrong_passwords_locks_the_api_sign_in_until_the_lockout_passes(person):
    api = _api()
    answers = [_sign_in(api, f"guess {n}") for n in range(FAILURES)]
    assert [a.status_code for a in answers] == [401] * (FAILURES - 1) + [429]
    assert answers[-1].json() == {"detail": LOCKED, "errors": []}
    right_too_soon = _sign_in(api, "correct horse")
    assert right_too_soon.status_code == 429 and right_too_soon.json()["detail"] == LOCKED
    assert api.get("/session").json()["user"] is None
    assert _sign_in(_api("192.0.2.7"), "correct horse").status_code == 200  # another address
    _after_the_lockout()
    signed_in = _sign_in(api, "correct horse")
    assert signed_in.status_code == 200 and signed_in.json()["user"] == "ada"


def test_the_sign_in_page_is_locked_too_and_says_why(person):
    browser = Client(enforce_csrf_checks=True)
    token = browser.get("/accounts/login/").cookies["csrftoken"].value

    def submit(password: str):
        form = {"username": "ada", "password": password, "csrfmiddlewaretoken": token}
        return browser.post("/accounts/login/", form)

    wrong = [submit("guess") for _ in range(FAILURES)]
    assert [a.status_code for a in wrong] == [200] * (FAILURES - 1) + [429]
    assert b"Wrong username or password." in wrong[0].content
    assert LOCKED.encode() in wrong[-1].content and b"Wrong username" not in wrong[-1].content
    assert submit("correct horse").status_code == 429
    _after_the_lockout()
    signed_in = submit("correct horse")
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"


def test_the_asgi_site_answers_a_locked_sign_in_with_the_same_json(person):
    """daphne runs the middleware asynchronously, where django-axes calls the lockout answer with
    other arguments than under WSGI."""
    client = AsyncClient(enforce_csrf_checks=True)
    token = async_to_sync(client.get)("/api/session").json()["csrf_token"]

    def sign_in(password: str):
        body = json.dumps({"username": "ada", "password": password})
        return async_to_sync(client.post)(
            "/api/session", body, content_type="application/json", headers={"X-CSRFToken": token}
        )

    answers = [sign_in("guess") for _ in range(FAILURES)]
    assert [a.status_code for a in answers] == [401] * (FAILURES - 1) + [429]
    assert answers[-1].json() == {"detail": LOCKED, "errors": []}
