"""Deploy and teardown over HTTP: what is refused and why, who may, and what gets queued."""

import base64
import datetime as dt
import json

import pytest
from django.utils import timezone

from agent.host_lock import hold
from designer import agent_credentials, analysis, deploy, designs
from designer.models import Deployment, DesignVersion
from tests.site.conftest import example, granted_to

pytestmark = pytest.mark.django_db


def _queued(site_redis, queue: str) -> list[dict]:
    """The Celery messages waiting on `queue` in the broker (kombu keeps a Redis list per queue)."""
    return [json.loads(raw) for raw in site_redis.lrange(queue, 0, -1)]


def test_sandbox_deploy_is_recorded_and_handed_to_the_site_worker(
    owner, stored, lab, site_redis, clean_site_queue
):
    response = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
    assert response.status_code == 201, response.content
    body = response.json()
    deployment = Deployment.objects.get(pk=body["id"])
    assert body["websocket"] == f"/ws/deployments/{deployment.id}/"
    assert deployment.state == "pending" and deployment.sandbox
    assert sorted(deployment.hosts) == ["host1", "host2", "host3"]
    messages = _queued(site_redis, "site")
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        ("designer.run_deployment", repr([deployment.id]))
    ]


def test_deployment_ids_are_short_unique_plan_names(owner, stored, lab, clean_site_queue):
    ids = set()
    for _ in range(3):
        response = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
        assert response.status_code == 201, response.content
        Deployment.objects.filter(pk=response.json()["id"]).update(state="done")
        ids.add(response.json()["id"])
    assert len(ids) == 3
    assert all(len(i) <= 12 and i.isalnum() and i.islower() for i in ids)


def test_a_second_deploy_of_the_same_design_waits_for_the_first(owner, stored, lab, clean_site_queue):
    first = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()
    second = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
    assert second.status_code == 409
    assert first["id"] in second.json()["detail"]
    assert Deployment.objects.count() == 1


def test_two_designs_never_deploy_to_the_same_agent_at_once(owner, stored, heartbeat, clean_site_queue):
    agent = granted_to(owner, heartbeat())
    hosts = {"host1": agent, "host2": agent, "host3": agent}
    assert owner.post(f"/designs/{stored['id']}/deploy", {"agents": hosts}).status_code == 201
    other_design = owner.post("/designs", {"yaml": example("bridge-one-host")}).json()
    host = next(iter(other_design["design"]["hosts"]))
    response = owner.post(f"/designs/{other_design['id']}/deploy", {"agents": {host: agent}})
    assert response.status_code == 409 and agent in response.json()["detail"]
    assert Deployment.objects.count() == 1


def test_deploy_to_an_unknown_agent_is_refused(owner, stored):
    owner.user.is_superuser = True  # who may use every agent (others are refused it as not granted)
    owner.user.save()
    response = owner.post(
        f"/designs/{stored['id']}/deploy",
        {"agents": {"host1": "nobody-a", "host2": "nobody-a", "host3": "nobody-a"}},
    )
    assert response.status_code == 409
    assert "'nobody-a' is unknown" in response.json()["detail"]
    assert Deployment.objects.count() == 0


def test_deploy_to_a_dead_agent_is_refused(owner, stored, heartbeat, site_redis):
    agent = granted_to(owner, heartbeat())
    site_redis.delete(f"mvlab:agent:{agent}")
    response = owner.post(
        f"/designs/{stored['id']}/deploy", {"agents": dict.fromkeys(("host1", "host2", "host3"), agent)}
    )
    assert response.status_code == 409
    assert "is not alive" in response.json()["detail"]
    assert Deployment.objects.count() == 0


def test_sandbox_deploy_without_a_lab_agent_is_refused(owner, stored, settings):
    settings.MVLAB_LAB_AGENT = "no-lab-here"
    response = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
    assert response.status_code == 409 and "no-lab-here" in response.json()["detail"]


def test_agents_must_cover_exactly_the_design_hosts(owner, stored, heartbeat):
    agent = heartbeat()
    missing = owner.post(f"/designs/{stored['id']}/deploy", {"agents": {"host1": agent}})
    assert missing.status_code == 400 and "host2, host3" in missing.json()["detail"]
    extra = owner.post(
        f"/designs/{stored['id']}/deploy",
        {"agents": {"host1": agent, "host2": agent, "host3": agent, "host7": agent}},
    )
    assert extra.status_code == 400 and "host7" in extra.json()["detail"]
    neither = owner.post(f"/designs/{stored['id']}/deploy", {})
    assert neither.status_code == 400
    assert Deployment.objects.count() == 0


def test_a_design_with_errors_is_not_deployed(owner, lab):
    text = example("two-vlans-routed").replace("d3: {host: host2,", "d3: {host: host9,")
    design = owner.post("/designs", {"yaml": text}).json()
    response = owner.post(f"/designs/{design['id']}/deploy", {"sandbox": True})
    assert response.status_code == 400
    assert any(e["path"].startswith("containers.d3") for e in response.json()["errors"])
    assert Deployment.objects.count() == 0


def test_another_user_cannot_deploy_read_or_tear_down(owner, other, stranger, stored, lab, clean_site_queue):
    assert other.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).status_code == 404
    assert Deployment.objects.count() == 0
    mine = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    Deployment.objects.filter(pk=mine).update(state="done")
    assert other.get(f"/deployments/{mine}").status_code == 404
    assert other.get("/deployments").json() == []
    assert other.post(f"/deployments/{mine}/teardown").status_code == 404
    assert stranger.get(f"/deployments/{mine}").status_code == 401
    assert Deployment.objects.get(pk=mine).state == "done"
    assert [d["id"] for d in owner.get("/deployments").json()] == [mine]


def test_deploy_and_teardown_need_csrf(owner, stored, lab, clean_site_queue):
    assert owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}, csrf=False).status_code == 403
    assert Deployment.objects.count() == 0
    mine = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    Deployment.objects.filter(pk=mine).update(state="done")
    assert owner.post(f"/deployments/{mine}/teardown", csrf=False).status_code == 403
    assert Deployment.objects.get(pk=mine).state == "done"


def test_teardown_waits_for_a_running_deployment_then_is_queued(
    owner, stored, lab, site_redis, clean_site_queue
):
    mine = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    busy = owner.post(f"/deployments/{mine}/teardown")
    assert busy.status_code == 409 and "still pending" in busy.json()["detail"]
    Deployment.objects.filter(pk=mine).update(state="done")
    response = owner.post(f"/deployments/{mine}/teardown")
    assert response.status_code == 202 and response.json()["state"] == "tearing_down"
    assert Deployment.objects.get(pk=mine).state == "tearing_down"
    queued = [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in _queued(site_redis, "site")]
    assert ("designer.run_teardown", repr([mine])) in queued


def test_deleting_a_design_waits_until_its_deployments_are_torn_down(owner, stored, lab, clean_site_queue):
    mine = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    for state in ("pending", "done", "failed"):  # a failed one may hold a partial apply
        Deployment.objects.filter(pk=mine).update(state=state)
        response = owner.delete(f"/designs/{stored['id']}")
        assert response.status_code == 409 and f"{mine} ({state})" in response.json()["detail"]
        assert Deployment.objects.filter(pk=mine).exists()
    Deployment.objects.filter(pk=mine).update(state="torn_down")
    assert owner.delete(f"/designs/{stored['id']}").status_code == 204
    assert not Deployment.objects.exists()


def test_a_deployment_its_worker_abandoned_does_not_hold_the_design(
    owner, stored, lab, settings, clean_site_queue
):
    first = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    quiet_since = timezone.now() - dt.timedelta(seconds=2 * settings.MVLAB_DEPLOY_TIMEOUT + 61)
    Deployment.objects.filter(pk=first).update(state="deploying", changed=quiet_since)
    second = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
    assert second.status_code == 201
    abandoned = Deployment.objects.get(pk=first)
    assert abandoned.state == "failed" and "abandoned" in abandoned.detail


def _site_tasks(site_redis) -> list[tuple[str, str]]:
    return [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in _queued(site_redis, "site")]


def test_a_deployment_whose_task_is_gone_is_sent_again_then_failed(
    owner, stored, lab, site_redis, clean_site_queue
):
    mine = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True}).json()["id"]
    quiet = timezone.now() - dt.timedelta(seconds=deploy.RECOVER_EVERY + 1)
    Deployment.objects.filter(pk=mine).update(changed=quiet)
    assert deploy.recover_orphans() == []  # its task waits in the queue
    try:
        site_redis.delete("site", f"{deploy.QUEUED_PREFIX}{mine}")  # lost before a worker took it
        assert deploy.recover_orphans() == [mine]
        assert _site_tasks(site_redis) == [("designer.run_deployment", repr([mine]))]
        site_redis.delete("site", f"{deploy.QUEUED_PREFIX}{mine}")  # a worker took it, and died
        Deployment.objects.filter(pk=mine).update(state="deploying")
        with hold(
            f"{deploy.LEASE_PREFIX}{mine}",
            site_redis,
            owner="another site worker",
            ttl=30,
            wait=0,
            interrupt=False,
            busy="",
        ):
            assert deploy.recover_orphans() == []  # it lives: leave its deployment alone
            deploy.run(mine)  # the same task delivered twice: the second copy does nothing
            assert Deployment.objects.get(pk=mine).state == "deploying"
        for _ in range(deploy.MAX_RESUMES - 1):
            assert deploy.recover_orphans() == [mine]
            assert _site_tasks(site_redis) == [("designer.run_deployment", repr([mine]))]
            assert deploy.recover_orphans() == []  # sent once, until a worker takes it
            site_redis.delete("site", f"{deploy.QUEUED_PREFIX}{mine}")  # taken, and that worker died too
        assert deploy.recover_orphans() == []
        assert _site_tasks(site_redis) == []
    finally:
        site_redis.delete(f"{deploy.RESUMES_PREFIX}{mine}")
    failed = Deployment.objects.get(pk=mine)
    assert failed.state == "failed" and f"lost {deploy.MAX_RESUMES + 1} times" in failed.detail
    assert "while it was deploying" in failed.detail
    refused = owner.delete(f"/designs/{stored['id']}")
    assert refused.status_code == 409 and f"{mine} (failed)" in refused.json()["detail"]
    assert owner.post(f"/deployments/{mine}/teardown").status_code == 202
    assert _site_tasks(site_redis) == [("designer.run_teardown", repr([mine]))]


def _sandbox_plans(site_redis, lab: str) -> dict[str, dict]:
    """The host plans of the sandbox task queued for lab agent `lab` (which takes nothing)."""
    (raw,) = site_redis.lrange(f"agent.{lab}", 0, -1)
    (_fabric, plans), _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
    return plans


def _expected(pairs: list[dict]) -> dict[tuple, bool]:
    return {(p["src"], p["dst"], p["dst_ip"]): p["expected"] for p in pairs}


@pytest.mark.parametrize("editor_first", [True, False], ids=["editor-first", "deploy-alone"])
def test_a_deploy_predicts_its_design_once(
    owner, stored, lab, site_redis, monkeypatch, clean_site_queue, settings, editor_first
):
    """A whole deploy (the request, the site worker's run sending the plans, the stored results) and
    the editor's prediction before it share one computation of the prediction (analysis.predicted)."""
    settings.MVLAB_DEPLOY_TIMEOUT = 1  # the lab agent is alive but takes nothing: the run ends failed
    version = DesignVersion.objects.get(design_id=stored["id"])
    site_redis.delete(analysis.prediction_key(designs.parse_version(version).design))
    calls = []
    real = analysis.predict
    monkeypatch.setattr(analysis, "predict", lambda *args: calls.append(args) or real(*args))

    editor = owner.post("/predict", {"design": stored["design"]}) if editor_first else None
    started = owner.post(f"/designs/{stored['id']}/deploy", {"sandbox": True})
    assert started.status_code == 201, started.content
    agent_credentials.add(lab, with_redis_user=False)  # the machine's Redis: no ACL changes
    try:
        deploy.run(started.json()["id"])
        plans = _sandbox_plans(site_redis, lab)
    finally:
        site_redis.hdel(agent_credentials.CREDENTIALS_KEY, lab)
        site_redis.delete(f"agent.{lab}")
    mine = Deployment.objects.get(pk=started.json()["id"])
    assert mine.state == "failed" and mine.matrix
    assert len(calls) == 1
    probed = _expected([p for plan in plans.values() for p in plan["probes"]])
    assert probed == _expected(mine.matrix["pairs"]) and any(probed.values()) and not all(probed.values())
    if editor:
        assert _expected(editor.json()["pairs"]) == probed
