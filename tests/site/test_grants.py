"""Agents are granted: who sees which agent in GET /api/agents, who may deploy to it, who may tear
down, and how an administrator grants and revokes (manage.py lab grant/revoke, /admin/).

The people: `owner` holds a grant on the real agent by name, `member` through the group
"netops", `other` holds none, `student` joined a class (and holds a grant by name, which the
class overrides), `admin` is a superuser; `stranger` is not signed in.
"""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from classroom import roles
from designer.models import Agent, Deployment
from tests.site.conftest import Api, _signed_in, example

pytestmark = pytest.mark.django_db

HOSTS = ("host1", "host2", "host3")


def lab_cmd(*argv: str) -> tuple[int, str, str]:
    """`manage.py lab ARGV`: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("lab", *argv, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def real(heartbeat, owner) -> str:
    """A live real-host agent, granted to `owner` by name and to the group netops."""
    name = heartbeat()
    Group.objects.get_or_create(name="netops")
    assert lab_cmd("grant", name, "--user", "owner")[0] == 0
    assert lab_cmd("grant", name, "--group", "netops")[0] == 0
    return name


@pytest.fixture
def lab(heartbeat, settings) -> str:
    settings.MVLAB_LAB_AGENT = heartbeat(sandbox=True)
    return settings.MVLAB_LAB_AGENT


@pytest.fixture
def member(django_user_model) -> Api:
    api = _signed_in(django_user_model, "member")
    api.user.groups.add(Group.objects.get_or_create(name="netops")[0])
    return api


@pytest.fixture
def student(django_user_model) -> Api:
    """A user who joined a class through the API (and so holds the student role)."""
    teacher = _signed_in(django_user_model, "teacher")
    roles.grant(teacher.user, roles.INSTRUCTOR)
    room = teacher.post("/classes", {"name": "Networks 101"}).json()
    api = _signed_in(django_user_model, "student")
    assert api.post("/classes/join", {"code": room["code"]}).status_code == 200
    return api


@pytest.fixture
def admin(django_user_model) -> Api:
    api = _signed_in(django_user_model, "admin")
    django_user_model.objects.filter(pk=api.user.pk).update(is_superuser=True, is_staff=True)
    return api


@pytest.fixture(autouse=True)
def clean_site_queue(site_redis):
    site_redis.delete("site")
    yield
    site_redis.delete("site")


def listed(api: Api) -> dict[str, dict]:
    response = api.get("/agents")
    assert response.status_code == 200, response.content
    return {a["name"]: a for a in response.json()}


def deploy(api: Api, agent: str):
    design = api.post("/designs", {"yaml": example("two-vlans-routed")}).json()
    return api.post(f"/designs/{design['id']}/deploy", {"agents": dict.fromkeys(HOSTS, agent)})


def queued_tasks(site_redis) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in site_redis.lrange("site", 0, -1)]


# ---- GET /api/agents -----------------------------------------------------------------


def test_granted_users_and_group_members_see_the_agent_with_its_facts(owner, member, real, lab):
    for api in (owner, member):
        agents = listed(api)
        assert sorted(agents) == sorted([real, lab])
        assert agents[real]["alive"] is True and agents[real]["facts"]["kernel"] == "6.1.0"


def test_others_and_students_see_only_lab_agents(other, student, real, lab):
    Agent.objects.get(pk=real).users.add(student.user)
    assert list(listed(other)) == [lab]
    assert list(listed(student)) == [lab]


def test_a_superuser_sees_every_agent(admin, real, lab, heartbeat):
    ungranted = heartbeat()
    assert set(listed(admin)) == {real, lab, ungranted}


def test_the_agent_list_needs_a_signed_in_user(stranger, real):
    assert stranger.get("/agents").status_code == 401


# ---- POST /api/designs/{id}/deploy ---------------------------------------------------


def test_granted_users_and_group_members_deploy_to_the_agent(owner, member, real, site_redis):
    first = deploy(owner, real)
    assert first.status_code == 201, first.content
    Deployment.objects.filter(pk=first.json()["id"]).update(state="done")
    second = deploy(member, real)
    assert second.status_code == 201, second.content
    assert Deployment.objects.get(pk=second.json()["id"]).agents == dict.fromkeys(HOSTS, real)
    assert queued_tasks(site_redis) == ["designer.run_deployment"] * 2


def test_a_deploy_to_an_agent_not_granted_is_refused_naming_it(other, real, site_redis):
    response = deploy(other, real)
    assert response.status_code == 403
    assert f"agent(s) '{real}' not granted to you" in response.json()["detail"]
    assert "lab grant AGENT --user other" in response.json()["detail"]
    assert not Deployment.objects.exists() and queued_tasks(site_redis) == []


def test_the_refusal_names_only_the_agents_not_granted(owner, real, heartbeat):
    other_agent = heartbeat()
    design = owner.post("/designs", {"yaml": example("two-vlans-routed")}).json()
    mapping = {"host1": real, "host2": other_agent, "host3": other_agent}
    response = owner.post(f"/designs/{design['id']}/deploy", {"agents": mapping})
    assert response.status_code == 403
    assert response.json()["detail"].startswith(f"agent(s) '{other_agent}' not granted to you;")


def test_an_agent_nobody_has_heard_of_is_refused_as_not_granted(owner, real):
    response = deploy(owner, "nobody-a")
    assert response.status_code == 403 and "'nobody-a' not granted" in response.json()["detail"]


def test_a_revoked_grant_no_longer_deploys_or_lists(owner, member, real):
    assert lab_cmd("revoke", real, "--user", "owner")[0] == 0
    assert lab_cmd("revoke", real, "--group", "netops")[0] == 0
    for api in (owner, member):
        assert deploy(api, real).status_code == 403
        assert real not in listed(api)
    assert not Deployment.objects.exists()


def test_a_superuser_deploys_to_any_agent(admin, heartbeat):
    assert deploy(admin, heartbeat()).status_code == 201


def test_a_student_deploys_into_sandboxes_only_even_their_own_design(student, real, lab, site_redis):
    Agent.objects.get(pk=real).users.add(student.user)
    response = deploy(student, real)
    assert response.status_code == 403
    assert "lab sandbox only" in response.json()["detail"] and repr(real) in response.json()["detail"]
    assert not Deployment.objects.exists() and queued_tasks(site_redis) == []
    design = student.get("/designs").json()[0]
    assert student.post(f"/designs/{design['id']}/deploy", {"sandbox": True}).status_code == 201


def test_sandboxes_need_no_grant(other, lab):
    design = other.post("/designs", {"yaml": example("two-vlans-routed")}).json()
    assert other.post(f"/designs/{design['id']}/deploy", {"sandbox": True}).status_code == 201


# ---- POST /api/deployments/{id}/teardown ---------------------------------------------


def test_the_owner_tears_down_after_the_grant_is_revoked(owner, other, real, site_redis):
    mine = deploy(owner, real).json()["id"]
    Deployment.objects.filter(pk=mine).update(state="done")
    assert lab_cmd("revoke", real, "--user", "owner")[0] == 0
    assert other.post(f"/deployments/{mine}/teardown").status_code == 404
    response = owner.post(f"/deployments/{mine}/teardown")
    assert response.status_code == 202 and response.json()["state"] == "tearing_down"
    assert "designer.run_teardown" in queued_tasks(site_redis)


# ---- granting: manage.py lab grant/revoke and /admin/ ---------------------------------


def test_lab_grant_says_who_holds_the_agent(owner, member, heartbeat):
    name = heartbeat()
    assert lab_cmd("grant", name, "--user", "owner") == (0, f"agent {name}: users owner; groups -\n", "")
    code, out, _ = lab_cmd("grant", name, "--group", "netops")
    assert code == 0 and out == f"agent {name}: users owner; groups netops\n"
    code, out, _ = lab_cmd("revoke", name, "--user", "owner")
    assert code == 0 and out == f"agent {name}: users -; groups netops\n"


def test_lab_grant_refuses_unknown_agents_users_and_groups(owner, heartbeat):
    name = heartbeat()
    code, _, err = lab_cmd("grant", "never-seen", "--user", "owner")
    assert code == 2 and "agent 'never-seen' is unknown" in err
    assert lab_cmd("grant", name, "--user", "nobody")[::2] == (2, "lab grant: no user 'nobody'\n")
    assert lab_cmd("grant", name, "--group", "nobody")[::2] == (2, "lab grant: no group 'nobody'\n")
    with pytest.raises(CommandError, match="one of the arguments --user --group is required"):
        lab_cmd("grant", name)


def test_an_administrator_grants_in_the_admin_site(admin, other, heartbeat):
    name = heartbeat()
    listed(admin)  # the heartbeat is mirrored into an Agent row
    page = admin.client.get(f"/admin/designer/agent/{name}/change/")
    assert page.status_code == 200
    saved = admin.client.post(
        f"/admin/designer/agent/{name}/change/",
        {"users": [other.user.pk], "groups": [], "csrfmiddlewaretoken": page.cookies["csrftoken"].value},
    )
    assert saved.status_code == 302, saved.content
    assert name in listed(other) and deploy(other, name).status_code == 201
