"""The site believes an event only when the agent serving its host signed it: forged probe results
(unsigned, signed by another agent, or altered after signing) never reach the stored matrix, the
probe results or a class board; and the tasks the site sends carry its signature for their agent."""

import datetime as dt
import json
import secrets

import pytest

from contract.events import stream_key
from contract.trust import (
    EXPIRES_HEADER,
    SIGNATURE_HEADER,
    new_task_id,
    signed_task,
    signing_key,
    task_id_prefix,
    task_refusal,
)
from designer import agent_credentials, dispatch, results
from designer.designs import parse
from designer.models import Deployment, DesignVersion, ProbeResult
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from tests.signed_events import signed
from tests.site.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(site_redis):
    """Two agents the site let join: `serving` serves every host of the deployment, `other` none."""
    names = {"serving": f"vega-{secrets.token_hex(3)}", "other": f"rigel-{secrets.token_hex(3)}"}
    for name in names.values():
        agent_credentials.add(name, with_redis_user=False)  # the machine's Redis: no ACL changes
    yield names
    for name in names.values():
        site_redis.hdel(agent_credentials.CREDENTIALS_KEY, name)


@pytest.fixture
def deployment(stored, agents, site_redis):
    version = DesignVersion.objects.get(design_id=stored["id"])
    hosts = {h: results.empty_host(agents["serving"]) for h in ("host1", "host2", "host3")}
    made = Deployment.objects.create(design=version.design, version=version, hosts=hosts, agents={})
    yield made
    site_redis.delete(stream_key(made.id))


def probe(deployment: Deployment, pair, observed: bool) -> dict:
    return {
        "kind": "probe",
        "deployment": deployment.id,
        "host": "host1",
        "src": pair.src,
        "dst": pair.dst,
        "dst_ip": pair.dst_ip,
        "expected": pair.expected,
        "observed": observed,
        "rtt_ms": None,
        "ttl": None,
    }


def test_forged_probe_results_never_reach_the_stored_matrix(deployment, agents, site_redis):
    design = parse(yaml_text=example("two-vlans-routed")).design
    pairs = [p for p in predict(design, allocate(design)).pairs if p.src == "d1"]
    genuine, forged, altered, unsigned = pairs[:4]
    key = stream_key(deployment.id)
    site_redis.xadd(key, {"event": signed(probe(deployment, genuine, genuine.expected), agents["serving"])})
    site_redis.xadd(key, {"event": signed(probe(deployment, forged, not forged.expected), agents["other"])})
    tampered = json.loads(signed(probe(deployment, altered, altered.expected), agents["serving"]))
    site_redis.xadd(key, {"event": json.dumps({**tampered, "observed": not altered.expected})})
    site_redis.xadd(key, {"event": json.dumps(probe(deployment, unsigned, not unsigned.expected))})

    results.collect(deployment, {})

    deployment.refresh_from_db()
    stored = {(p.src, p.dst_ip): p.observed for p in ProbeResult.objects.filter(deployment=deployment)}
    assert stored == {("d1", genuine.dst_ip): genuine.expected}
    observed = {(p["src"], p["dst_ip"]): p["observed"] for p in deployment.matrix["pairs"]}
    assert observed[("d1", genuine.dst_ip)] == genuine.expected
    assert [observed[("d1", p.dst_ip)] for p in (forged, altered, unsigned)] == [None, None, None]


def test_the_site_signs_each_task_for_its_agent_only(agents):
    serving, other = agents["serving"], agents["other"]
    options = agent_credentials.signed(serving, "mvlab.agent.teardown", ["d1", ["host1"]])
    headers = {
        "task": "mvlab.agent.teardown",
        "id": options["task_id"],
        EXPIRES_HEADER: options["expires"],
        **options["headers"],
    }
    assert options["task_id"].startswith(task_id_prefix(serving))
    assert task_refusal(agent_credentials.key_of(serving), serving, headers, ["d1", ["host1"]], {}) is None
    assert "signature is not the site's" in task_refusal(
        agent_credentials.key_of(serving), serving, headers, ["d1", ["host1", "host2"]], {}
    )  # altered
    assert "is not one the site gives" in task_refusal(
        agent_credentials.key_of(other), other, headers, ["d1", ["host1"]], {}
    )  # made for another agent
    moved = {**headers, "id": new_task_id(other)}
    assert "signature is not the site's" in task_refusal(
        agent_credentials.key_of(other), other, moved, ["d1", ["host1"]], {}
    )
    assert "no signature" in task_refusal(
        signing_key("x"), serving, {**headers, SIGNATURE_HEADER: ""}, ["d1", ["host1"]], {}
    )
    later = {**headers, EXPIRES_HEADER: "2999-01-01T00:00:00+00:00"}  # kept valid by hand
    assert "signature is not the site's" in task_refusal(
        agent_credentials.key_of(serving), serving, later, ["d1", ["host1"]], {}
    )


def test_a_task_is_valid_while_the_site_waits_for_it_and_refused_once_expired(agents, settings):
    serving = agents["serving"]
    key, args = agent_credentials.key_of(serving), ["d1", ["host1"]]
    options = agent_credentials.signed(serving, "mvlab.agent.teardown", args)
    left = (dt.datetime.fromisoformat(options["expires"]) - dt.datetime.now(dt.UTC)).total_seconds()
    timeout = settings.MVLAB_DEPLOY_TIMEOUT
    assert timeout < left <= timeout + agent_credentials.CLOCK_ALLOWANCE
    expired = signed_task(key, serving, "mvlab.agent.teardown", args, -2)
    headers = {
        "task": "mvlab.agent.teardown",
        "id": expired["task_id"],
        EXPIRES_HEADER: expired["expires"],
        **expired["headers"],
    }
    assert "the site stopped waiting for it" in task_refusal(key, serving, headers, args, {})
    assert f"expired at {expired['expires']}" in task_refusal(key, serving, headers, args, {})


def test_a_deploy_to_an_agent_without_credential_fails_naming_the_command_that_adds_it(site_redis):
    with pytest.raises(agent_credentials.NoCredential, match=r"manage\.py lab agent add ghost"):
        dispatch.send("mvlab.agent.facts", [], "ghost")
