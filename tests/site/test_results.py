"""What the site stores when a deployment ends, read from its real Redis event stream, and the
watchdog that fails a host whose agent dies mid-deploy (real Celery messages to the agent's queue)."""

import json
import threading

import pytest

from contract.events import stream_key
from designer import deploy, results
from designer.designs import parse
from designer.events import read_all
from designer.models import Deployment, DesignVersion, ProbeResult
from designer.topology.ipam import allocate
from designer.topology.issues import DesignError
from designer.topology.predict import predict
from tests.signed_events import signed
from tests.site.conftest import example

pytestmark = pytest.mark.django_db

HOSTS = ("host1", "host2", "host3")


@pytest.fixture
def deployment_of(stored, site_redis):
    made = []

    def make(**fields) -> Deployment:
        version = DesignVersion.objects.get(design_id=stored["id"])
        agents = fields.get("agents") or {}
        hosts = {h: results.empty_host(agents.get(h, "lab")) for h in HOSTS}
        made.append(Deployment.objects.create(design=version.design, version=version, hosts=hosts, **fields))
        return made[-1]

    yield make
    for deployment in made:
        site_redis.delete(stream_key(deployment.id))


def _emit(site_redis, deployment: Deployment, **event) -> None:
    """An event as the agent serving its host writes it (signed: tests/signed_events.py)."""
    agent = deployment.hosts.get(event.get("host"), {}).get("agent", "lab")
    site_redis.xadd(
        stream_key(deployment.id), {"event": signed({"deployment": deployment.id, **event}, agent)}
    )


def test_finish_stores_per_host_summary_matrix_and_probe_results(deployment_of, site_redis):
    deployment = deployment_of(sandbox=True)
    for host in HOSTS:
        _emit(site_redis, deployment, kind="step", host=host, step="links", status="done")
    _emit(
        site_redis,
        deployment,
        kind="step",
        host="host2",
        step="routes",
        status="failed",
        detail="File exists",
    )
    design = parse(yaml_text=example("two-vlans-routed")).design
    d1_pairs = [p for p in predict(design, allocate(design)).pairs if p.src == "d1"]
    for pair in d1_pairs:
        _emit(
            site_redis,
            deployment,
            kind="probe",
            host="host1",
            src="d1",
            dst=pair.dst,
            dst_ip=pair.dst_ip,
            expected=pair.expected,
            observed=pair.expected,
            rtt_ms=0.05 if pair.expected else None,
            ttl=None,
        )
    for host in HOSTS:
        _emit(site_redis, deployment, kind="finished", host=host, ok=host != "host2")

    deploy.finish(deployment, {h: deploy.Outcome(True) for h in HOSTS})

    deployment.refresh_from_db()
    assert deployment.state == "failed" and deployment.detail == "failed on host2"
    assert deployment.finished is not None
    assert deployment.hosts["host1"]["state"] == "done" and deployment.hosts["host1"]["applied"] == ["links"]
    assert deployment.hosts["host2"]["failed"] == ["routes: File exists"]
    observed = {(p["src"], p["dst_ip"]): p["observed"] for p in deployment.matrix["pairs"]}
    assert all(observed[("d1", p.dst_ip)] == p.expected for p in d1_pairs)
    assert all(v is None for (src, _), v in observed.items() if src != "d1")
    assert ProbeResult.objects.filter(deployment=deployment).count() == len(d1_pairs)
    _, last = list(read_all(deployment.id))[-1]
    assert last["kind"] == "deployment" and last["state"] == "failed"


def test_a_host_whose_agent_dies_mid_deploy_fails_with_what_it_applied(deployment_of, heartbeat, site_redis):
    agent = heartbeat()
    deployment = deployment_of(agents=dict.fromkeys(HOSTS, agent))
    _emit(site_redis, deployment, kind="step", host="host1", step="links", status="done")
    _emit(site_redis, deployment, kind="step", host="host1", step="addresses", status="started")
    dies = threading.Timer(1.0, site_redis.delete, [f"mvlab:agent:{agent}"])
    dies.start()
    try:
        deploy.run(deployment.id)
    finally:
        dies.cancel()

    deployment.refresh_from_db()
    assert deployment.state == "failed"
    for host in HOSTS:
        assert deployment.hosts[host]["state"] == "failed"
        assert "stopped sending heartbeats" in deployment.hosts[host]["detail"]
    assert deployment.hosts["host1"]["applied"] == ["links"]
    assert deployment.hosts["host1"]["interrupted"] == ["addresses"]
    assert "applied: links; the rest of the plan was not applied" in deployment.hosts["host1"]["detail"]
    assert deployment.hosts["host2"]["applied"] == []
    assert "applied: nothing" in deployment.hosts["host2"]["detail"]
    sent = [json.loads(raw) for raw in site_redis.lrange(f"agent.{agent}", 0, -1)]
    assert sorted(m["headers"]["task"] for m in sent) == ["mvlab.agent.apply"] * 3


def test_an_error_in_the_site_worker_ends_the_deployment_as_failed(deployment_of):
    deployment = deployment_of(sandbox=True)
    DesignVersion.objects.filter(pk=deployment.version_id).update(yaml="kind: [broken\n")
    with pytest.raises(DesignError):
        deploy.run(deployment.id)
    deployment.refresh_from_db()
    assert deployment.state == "failed" and deployment.finished is not None
    assert deployment.detail.startswith("the site could not finish the deployment:")
