"""Signing in and out: the JSON session endpoint, the plain login page, the editor page, admin."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.site.conftest import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user(username="ada", password="correct horse")


def test_anonymous_session_has_no_user_and_a_token(stranger):
    body = stranger.get("/session").json()
    assert body["user"] is None and body["roles"] == []
    assert len(body["csrf_token"]) >= 32


def test_sign_in_needs_the_csrf_token(stranger, person):
    response = stranger.post("/session", {"username": "ada", "password": "correct horse"}, csrf=False)
    assert response.status_code == 403
    assert stranger.get("/session").json()["user"] is None


def test_wrong_password_is_refused(stranger, person):
    response = stranger.post("/session", {"username": "ada", "password": "wrong"})
    assert response.status_code == 401
    assert stranger.get("/session").json()["user"] is None


def test_sign_in_then_out(stranger, person):
    response = stranger.post("/session", {"username": "ada", "password": "correct horse"})
    assert response.status_code == 200 and response.json()["user"] == "ada"
    assert stranger.get("/designs").status_code == 200
    assert stranger.delete("/session", csrf=False).status_code == 403
    assert stranger.get("/session").json()["user"] == "ada"
    assert stranger.delete("/session").status_code == 204
    assert stranger.get("/session").json()["user"] is None
    assert stranger.get("/designs").status_code == 401


def test_login_page_signs_in_and_leads_to_the_editor(person):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/").status_code == 302
    page = browser.get("/accounts/login/")
    assert page.status_code == 200 and b"Sign in" in page.content
    token = page.cookies["csrftoken"].value
    answer = browser.post(
        "/accounts/login/", {"username": "ada", "password": "correct horse", "csrfmiddlewaretoken": token}
    )
    assert answer.status_code == 302 and answer["Location"] == "/"
    editor = browser.get("/")
    assert editor.status_code == 200 and b"mvlab" in editor.content
    assert Api(browser).get("/session").json()["user"] == "ada"


def test_admin_works_for_a_superuser(django_user_model):
    boss = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    browser = Client()
    browser.force_login(boss)
    for page in (
        "/admin/",
        "/admin/designer/design/",
        "/admin/designer/deployment/",
        "/admin/designer/agent/",
        "/admin/designer/designversion/",
        "/admin/designer/proberesult/",
    ):
        assert browser.get(page).status_code == 200, page


def test_openapi_is_served(stranger):
    schema = stranger.client.get("/api/openapi.json").json()
    assert "/api/designs/{design_id}/deploy" in schema["paths"]
    assert stranger.client.get("/api/docs").status_code == 200


def test_signed_in_user_gets_the_built_editor_and_its_assets(owner, settings):
    index = settings.FRONTEND_DIST / "index.html"
    page = owner.client.get("/")
    assert page.status_code == 200
    assert page.content.decode() == index.read_text()
    asset = re.search(r'(?:src|href)="(/static/[^"]+\.js)"', page.content.decode()).group(1)
    served = owner.client.get(asset)
    assert served.status_code == 200
    assert (
        b"".join(served.streaming_content)
        == (settings.FRONTEND_DIST / asset.removeprefix("/static/")).read_bytes()
    )


def test_first_start_creates_a_sign_in_once_and_prints_it(django_user_model):
    first = io.StringIO()
    call_command("ensure_signin", stdout=first)
    username, password = re.fullmatch(r"sign in as: (\S+)  password: (\S+)\n", first.getvalue()).groups()
    assert django_user_model.objects.get(username=username).check_password(password)
    again = io.StringIO()
    call_command("ensure_signin", stdout=again)
    assert not again.getvalue().startswith("sign in as:")
    assert django_user_model.objects.count() == 1
