"""A host that runs no container or router has no Compose file: the export is refused, over HTTP
and by `lab export`, naming the host and what to run on it instead, before any file is written.
(A file of no services is one Compose 1.29 refuses, or, given a `version:`, one that runs nothing:
designer.topology.compose.)"""

import pytest

from tests.lab_command import lab
from tests.site.conftest import ROOT, example

pytestmark = pytest.mark.django_db

GW = "host gw runs no container or router, so it has no Compose file"
INSTEAD = "run `sh design.sh gw up` of the shell export (lab export --to sh) on it"


def test_the_api_refuses_the_compose_file_of_the_routing_host_saying_what_to_run(owner):
    stored = owner.post("/designs", {"yaml": example("docker-8021q-trunk")}).json()
    refused = owner.get(f"/designs/{stored['id']}/export", to="compose", host="gw")
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert GW in detail and INSTEAD in detail and "Hosts with a Compose file: host1, host2." in detail
    (issue,) = refused.json()["errors"]
    assert (issue["path"], issue["message"]) == ("host", detail)

    asked = owner.get(f"/designs/{stored['id']}/export", to="compose")
    assert asked.status_code == 400 and asked.json()["detail"].endswith("one of host1, host2")
    host1 = owner.get(f"/designs/{stored['id']}/export", to="compose", host="host1")
    assert host1.status_code == 200 and "c1:" in host1.content.decode()


def test_lab_export_refuses_it_on_stderr_with_a_nonzero_status_and_writes_nothing():
    done = lab(
        "export", str(ROOT / "examples" / "docker-8021q-trunk.yaml"), "--to", "compose", "--host", "gw"
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"lab export: {GW}") and INSTEAD in done.stderr
    assert "note:" not in done.stderr  # refused before the notes of a file that is not written

    asked = lab("export", str(ROOT / "examples" / "docker-8021q-trunk.yaml"), "--to", "compose")
    assert asked.returncode == 2 and "--host: one of host1, host2\n" in asked.stderr


def test_a_design_whose_only_host_runs_nothing_says_so():
    bare = "apiVersion: mvlab/v1\nkind: Design\nname: bare\nhosts:\n  h1: {nics: [eth1]}\n"
    done = lab("export", "-", "--to", "compose", stdin=bare)
    assert done.returncode == 2 and done.stdout == ""
    assert "host h1 runs no container or router" in done.stderr
    assert "sh design.sh" not in done.stderr  # it has nothing of its own to set up either
    assert "No host of this design runs a container or router." in done.stderr
