"""A deploy from the editor and `lab up` of one design go through one dispatcher (designer.dispatch):
each host's agent gets the same signed apply task with the same plan (but for the deployment's id),
and a host whose agent does not answer fails saying the same. On the real Redis and Celery broker;
the agents are alive (their heartbeats) but take nothing, so the tasks stay queued to be read."""

import argparse
import base64
import io
import json
import secrets

import pytest

from designer import agent_credentials, deploy
from designer.cli import up
from designer.cli.deployments import deployment_id
from designer.models import Deployment
from tests.site.conftest import granted_to

pytestmark = pytest.mark.django_db

DESIGN = """\
apiVersion: mvlab/v1
kind: Design
name: {name}
hosts:
  {h1}: {{nics: [eth1]}}
  {h2}: {{nics: [eth1]}}
segments:
  wire: {{ports: [{h1}.eth1, {h2}.eth1]}}
networks:
  flat: {{parent: eth1, mode: bridge, subnet: 10.61.0.0/24}}
containers:
  a1: {{host: {h1}, networks: {{flat: {{ip: 10.61.0.10}}}}}}
  b1: {{host: {h2}, networks: {{flat: {{ip: 10.61.0.20}}}}}}
"""


@pytest.fixture
def hosts(owner, heartbeat, site_redis):
    """Two live agents named like the design's hosts (as `lab up` needs), each with its credential
    and granted to the owner (as the editor's deploy needs)."""
    names = [f"h{secrets.token_hex(4)}" for _ in range(2)]
    for name in names:
        granted_to(owner, heartbeat(name))
        agent_credentials.add(name, with_redis_user=False)  # the machine's Redis: no ACL changes
    yield names
    site_redis.hdel(agent_credentials.CREDENTIALS_KEY, *names)


def _applies(site_redis, agent: str) -> dict[str, dict]:
    """The plans of the apply tasks queued for `agent`, by deployment."""
    plans = {}
    for raw in site_redis.lrange(f"agent.{agent}", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "mvlab.agent.apply"
        (plan,), _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        plans[plan["deployment"]] = plan
    return plans


def test_the_editor_and_lab_up_send_each_agent_the_same_plan_and_fail_alike(
    owner, hosts, site_redis, clean_site_queue, settings, tmp_path
):
    settings.MVLAB_DEPLOY_TIMEOUT = 1
    h1, h2 = hosts
    text = DESIGN.format(name=f"same-{secrets.token_hex(3)}", h1=h1, h2=h2)
    stored = owner.post("/designs", {"yaml": text}).json()
    started = owner.post(f"/designs/{stored['id']}/deploy", {"agents": {h1: h1, h2: h2}})
    assert started.status_code == 201, started.content
    deploy.run(started.json()["id"])
    site = Deployment.objects.get(pk=started.json()["id"])

    path = tmp_path / "design.yaml"
    path.write_text(text)
    parser = argparse.ArgumentParser()
    up.add_arguments(parser)
    stdout, stderr = io.StringIO(), io.StringIO()
    assert up.run(parser.parse_args([str(path), "--timeout", "1", "--quiet"]), stdout, stderr) == 1
    cli = deployment_id(stored["name"])

    for host in hosts:
        plans = _applies(site_redis, host)
        assert sorted(plans) == sorted([site.id, cli])  # one apply each, and no probe: nothing was made
        assert json.dumps(plans[site.id]).replace(site.id, "ID") == json.dumps(plans[cli]).replace(cli, "ID")
        why = f"no answer from agent {host!r} within 1 s"
        assert site.hosts[host]["state"] == "failed" and site.hosts[host]["detail"].startswith(why + ";")
        assert f"host {host} failed: {why}\n" in stderr.getvalue()
