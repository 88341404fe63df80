"""Per-user quotas over HTTP: designs, saved versions, live deployments and sandboxes.

Each is refused with 409 naming the count and the limit, stores nothing, frees up when the user
removes what holds it, and never counts or refuses another user; a signed-out caller gets 401.
"""

import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from designer.models import Deployment, Design, DesignVersion
from tests.classroom.conftest import alice, instructor, join, make_class, make_exercise  # noqa: F401
from tests.site.conftest import EXAMPLES, Api, granted_to

pytestmark = pytest.mark.django_db

EXAMPLE = EXAMPLES / "two-vlans-routed.yaml"
DESIGN = EXAMPLE.read_text()
HOSTS = ("host1", "host2", "host3")


def _create(api, name: str = "two-vlans-routed"):
    return api.post("/designs", {"yaml": DESIGN.replace("name: two-vlans-routed", f"name: {name}")})


def _import(api):
    upload = SimpleUploadedFile("lab.yaml", DESIGN.encode(), content_type="application/x-yaml")
    return api.client.post("/api/designs/import", {"file": upload}, headers={"X-CSRFToken": api.csrf()})


def _deploy(api, design_id: int, body: dict):
    return api.post(f"/designs/{design_id}/deploy", body)


def _done(answer) -> str:
    """The deployment `answer` started, marked done (it holds its hosts until torn down)."""
    assert answer.status_code == 201, answer.content
    Deployment.objects.filter(pk=answer.json()["id"]).update(state="done")
    return answer.json()["id"]


def test_designs_over_the_quota_are_refused_until_one_is_deleted(owner, other, stranger, settings):
    settings.MVLAB_MAX_DESIGNS_PER_USER = 2
    first = _create(owner, "one").json()
    assert _create(owner, "two").status_code == 201
    detail = "you have 2 designs, the limit MVLAB_MAX_DESIGNS_PER_USER is 2; delete one you no longer need"
    for refused in (_create(owner, "three"), _import(owner)):
        assert refused.status_code == 409, refused.content
        assert refused.json() == {"detail": detail, "errors": []}
    assert sorted(d["name"] for d in owner.get("/designs").json()) == ["one", "two"]
    assert _create(other, "theirs").status_code == 201  # another user's count is their own
    assert _create(stranger).status_code == 401
    assert owner.delete(f"/designs/{first['id']}").status_code == 204
    assert _import(owner).status_code == 201


def test_saved_versions_over_the_quota_are_refused_for_every_design(owner, other, stranger, settings):
    settings.MVLAB_MAX_VERSIONS_PER_USER = 3
    one = _create(owner, "one").json()
    two = _create(owner, "two").json()
    assert owner.put(f"/designs/{one['id']}", {"yaml": DESIGN}).status_code == 200
    detail = (
        "you have 3 saved versions, the limit MVLAB_MAX_VERSIONS_PER_USER is 3; "
        "delete a design you no longer need (its versions go with it)"
    )
    for refused in (owner.put(f"/designs/{two['id']}", {"yaml": DESIGN}), _create(owner, "three")):
        assert refused.status_code == 409, refused.content
        assert refused.json()["detail"] == detail
    assert [v["version"] for v in owner.get(f"/designs/{two['id']}/versions").json()] == [1]
    assert DesignVersion.objects.filter(design__owner=owner.user).count() == 3
    # another user neither counts nor sees the owner's designs; a signed-out caller is not let in
    theirs = _create(other, "theirs").json()
    assert other.put(f"/designs/{theirs['id']}", {"yaml": DESIGN}).status_code == 200
    assert other.put(f"/designs/{one['id']}", {"yaml": DESIGN}).status_code == 404
    assert stranger.put(f"/designs/{one['id']}", {"yaml": DESIGN}).status_code == 401
    assert owner.delete(f"/designs/{one['id']}").status_code == 204
    assert owner.put(f"/designs/{two['id']}", {"yaml": DESIGN}).status_code == 200


def test_live_deployments_over_the_quota_are_refused_until_one_is_torn_down(
    owner, other, stranger, heartbeat, lab, settings, clean_site_queue
):
    settings.MVLAB_MAX_DEPLOYMENTS_PER_USER = 1
    one, two = _create(owner, "one").json(), _create(owner, "two").json()
    held = _done(_deploy(owner, one["id"], {"sandbox": True}))
    agent = granted_to(owner, heartbeat())
    refused = _deploy(owner, two["id"], {"agents": dict.fromkeys(HOSTS, agent)})
    assert refused.status_code == 409, refused.content
    assert refused.json()["detail"] == (
        f"you have 1 live deployment ({held}), the limit MVLAB_MAX_DEPLOYMENTS_PER_USER is 1; "
        "tear one down first"
    )
    assert Deployment.objects.filter(design__owner=owner.user).count() == 1
    theirs = _create(other, "theirs").json()
    assert _deploy(other, theirs["id"], {"sandbox": True}).status_code == 201
    assert _deploy(stranger, one["id"], {"sandbox": True}).status_code == 401
    Deployment.objects.filter(pk=held).update(state="torn_down")
    assert _deploy(owner, two["id"], {"agents": dict.fromkeys(HOSTS, agent)}).status_code == 201


def test_sandboxes_over_the_quota_are_refused_but_real_hosts_are_not(
    owner, other, heartbeat, lab, settings, clean_site_queue
):
    settings.MVLAB_MAX_SANDBOXES_PER_USER = 1
    one, two = _create(owner, "one").json(), _create(owner, "two").json()
    held = _done(_deploy(owner, one["id"], {"sandbox": True}))
    refused = _deploy(owner, two["id"], {"sandbox": True})
    assert refused.status_code == 409, refused.content
    assert refused.json()["detail"] == (
        f"you have 1 sandbox ({held}), the limit MVLAB_MAX_SANDBOXES_PER_USER is 1; tear one down first"
    )
    agent = granted_to(owner, heartbeat())
    assert _deploy(owner, two["id"], {"agents": dict.fromkeys(HOSTS, agent)}).status_code == 201
    theirs = _create(other, "theirs").json()
    assert _deploy(other, theirs["id"], {"sandbox": True}).status_code == 201


def test_class_rules_hold_within_a_members_quotas(instructor, alice, lab, settings):  # noqa: F811
    """Hand-out is never refused by the design quota; a student's exercise sandboxes count towards
    their sandboxes, but a redeploy of the same attempt replaces its predecessor, as in the class."""
    room = make_class(instructor, max_deploys=1)
    make_exercise(instructor, room, "first")
    settings.MVLAB_MAX_DESIGNS_PER_USER = 1
    assert _create(alice, "mine").status_code == 201
    attempt = join(alice, room)[0]  # a second design, handed out over the quota
    assert Design.objects.filter(owner=alice.user).count() == 2
    assert _create(alice, "another").json()["detail"].startswith("you have 2 designs")

    settings.MVLAB_MAX_SANDBOXES_PER_USER = 1
    first = _done(_deploy(alice, attempt["design"], {"sandbox": True}))
    again = _deploy(alice, attempt["design"], {"sandbox": True})
    assert again.status_code == 201, again.content
    Deployment.objects.filter(pk=first).update(state="torn_down")  # what the class's retire task does
    Deployment.objects.filter(pk=again.json()["id"]).update(state="done")
    mine = Design.objects.get(owner=alice.user, name="mine")
    refused = _deploy(alice, mine.id, {"sandbox": True})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"you have 1 sandbox ({again.json()['id']}), the limit MVLAB_MAX_SANDBOXES_PER_USER is 1; "
        "tear one down first"
    )


@pytest.mark.django_db(transaction=True)
def test_two_deploys_at_once_cannot_both_take_the_last_sandbox(owner, lab, settings, clean_site_queue):
    settings.MVLAB_MAX_SANDBOXES_PER_USER = 1
    designs = [_create(owner, name).json()["id"] for name in ("one", "two")]
    clients = []
    for _ in designs:  # a browser tab each, the same user signed in
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner.user)
        clients.append(Api(client))
    csrf = [api.csrf() for api in clients]
    start = threading.Barrier(len(designs))

    def deploy(n: int):
        start.wait()
        return clients[n].client.post(
            f"/api/designs/{designs[n]}/deploy",
            data=json.dumps({"sandbox": True}),
            content_type="application/json",
            headers={"X-CSRFToken": csrf[n]},
        )

    with ThreadPoolExecutor(len(designs)) as pool:
        answers = list(pool.map(deploy, range(len(designs))))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.content for a in answers]
    assert Deployment.objects.filter(design__owner=owner.user).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the SQLite test database is in memory, where writers at once fail 'table is locked'; "
    "test_designs_created_at_once_on_the_live_sqlite_site covers SQLite (bin/test runs this on PostgreSQL)",
)
def test_two_designs_created_at_once_cannot_both_take_the_last_place(owner, settings):
    settings.MVLAB_MAX_DESIGNS_PER_USER = 1
    tabs = []
    for _ in range(2):  # a browser tab each, the same user signed in
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner.user)
        tabs.append(Api(client))
    csrf = [api.csrf() for api in tabs]
    start = threading.Barrier(len(tabs))

    def create(n: int):
        start.wait()
        body = json.dumps({"yaml": DESIGN})
        return tabs[n].client.post(
            "/api/designs", data=body, content_type="application/json", headers={"X-CSRFToken": csrf[n]}
        )

    with ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(create, range(len(tabs))))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.content for a in answers]
    assert Design.objects.filter(owner=owner.user).count() == 1


@pytest.mark.integration
def test_designs_created_at_once_on_the_live_sqlite_site(live_stack):
    """The running site on its SQLite file, as bin/start runs it: two tabs of one user, one place left."""
    name = f"quota-{secrets.token_hex(3)}"
    password = live_stack.create_user(name)
    tabs = [live_stack.sign_in(name, password) for _ in range(2)]
    limit = int(live_stack.env.get("MVLAB_MAX_DESIGNS_PER_USER", 50))
    fill = (
        "from django.contrib.auth import get_user_model; from designer import designs; "
        f"user = get_user_model().objects.get(username={name!r}); "
        f"parsed = designs.parse(yaml_text=open({str(EXAMPLE)!r}).read()); "
        f"[designs.create(user, parsed) for _ in range({limit - 1})]"
    )
    live_stack.manage("shell", "-c", fill)
    start = threading.Barrier(len(tabs))

    def create(tab):
        start.wait()
        return tab.post(f"{live_stack.url}/api/designs", json={"yaml": DESIGN}, timeout=30)

    with ThreadPoolExecutor(len(tabs)) as pool:
        answers = list(pool.map(create, tabs))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["detail"].startswith(
        f"you have {limit} designs, the limit MVLAB_MAX_DESIGNS_PER_USER"
    )
    assert len(tabs[0].get(f"{live_stack.url}/api/designs", timeout=10).json()) == limit
