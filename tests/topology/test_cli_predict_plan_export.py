"""`lab predict`, `lab plan` and `lab export`, run the way a user runs them."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path

import pytest

from contract.plan import HostPlan, SandboxFabric
from designer.cli import export as export_verb
from designer.cli import plan as plan_verb
from designer.cli import predict as predict_verb
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from designer.topology.yamlio import load_design
from tests.lab_command import lab

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "two-vlans-routed.yaml"
BROKEN = """apiVersion: mvlab/v1
kind: Design
name: broken
hosts:
  host1: {nics: [eth1]}
networks:
  n: {parent: eth1, subnet: 10.0.0.0/24}
containers:
  c1: {host: host9, networks: {n: {}}}
"""


def run_verb(module, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = module.run(parser.parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_lab_predict_json_is_the_design_md_matrix_with_observed_null():
    done = lab("predict", str(EXAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    design = load_design(EXAMPLE.read_text()).design
    assert data == predict(design, allocate(design)).model_dump(mode="json")
    assert set(data) == {"endpoints", "pairs", "reasons"}
    assert all(p["observed"] is None for p in data["pairs"])
    d1_to_d4 = next(p for p in data["pairs"] if (p["src"], p["dst_ip"]) == ("d1", "172.16.20.11"))
    assert (d1_to_d4["expected"], d1_to_d4["expected_ttl"]) == (True, 63)
    assert data["reasons"][d1_to_d4["reason"]]["text"] == "routed by host3 (ip_forward), TTL 63"


def test_lab_predict_refuses_a_broken_design_with_its_issue_and_status_1():
    done = lab("predict", "-", "--json", stdin=BROKEN)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "containers.c1.host" in done.stderr


def test_the_predict_table_has_a_row_per_source_and_a_legend_per_column():
    code, out, _ = run_verb(predict_verb, str(EXAMPLE))
    assert code == 0
    lines = out.splitlines()
    legend = {
        line.split()[1] + " " + line.split()[2]: line.split()[0] for line in lines if line.startswith("[")
    }
    header = lines[2].split()
    d1 = next(line.split() for line in lines if line.startswith("d1 "))
    host1 = next(line.split() for line in lines if line.startswith("host1 "))
    assert d1[1 + header.index(legend["d4 172.16.20.11"])] == "63"
    assert d1[1 + header.index(legend["d1 172.16.10.10"])] == "."
    assert host1[1 + header.index(legend["d2 172.16.20.10"])] == "-"
    assert lines[-1] == "30 of 35 pairs are expected to answer."


def test_lab_plan_json_holds_a_valid_plan_per_host_and_the_fabric():
    done = lab("plan", str(EXAMPLE), "--json", "--deployment", "demo1")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["deployment"] == "demo1"
    assert set(data["plans"]) == {"host1", "host2", "host3"}
    plans = {host: HostPlan.model_validate(plan) for host, plan in data["plans"].items()}
    assert all(plan.deployment == "demo1" and plan.host == host for host, plan in plans.items())
    assert SandboxFabric.model_validate(data["fabric"]).hosts == ("host1", "host2", "host3")


def test_lab_plan_refuses_a_deployment_id_the_agent_would_refuse(capsys):
    with pytest.raises(SystemExit) as exit:
        run_verb(plan_verb, str(EXAMPLE), "--deployment", "Not_OK")
    assert exit.value.code == 2
    assert "'Not_OK' is not a deployment id" in capsys.readouterr().err


def test_the_plan_summary_says_what_each_host_holds():
    code, out, _ = run_verb(plan_verb, str(EXAMPLE))
    assert code == 0
    assert "host host3 (deployment plan): NICs enp0s8" in out
    assert "  sysctl host: net.ipv4.ip_forward=1" in out
    assert "  macvlan host:mvs-mac10 on enp0s8.100 mode bridge 02:42:ac:10:0a:fa 172.16.10.250/32" in out
    assert "  route d1: default via 172.16.10.1" in out
    assert "  segment lan: host1.enp0s8 host2.enp0s8 host3.enp0s8; vlans 100,200" in out


@pytest.mark.parametrize("to", ["sh", "docker"])
def test_lab_export_scripts_are_valid_shell(to):
    code, out, _ = run_verb(export_verb, str(EXAMPLE), "--to", to)
    assert code == 0
    subprocess.run(["sh", "-n"], input=out, text=True, check=True)
    assert ("docker network create" in out) == (to == "docker")
    assert ("ip netns add d1" in out) == (to == "sh")


def test_lab_export_yaml_loads_back_to_the_same_design():
    code, out, _ = run_verb(export_verb, str(EXAMPLE), "--to", "yaml")
    assert code == 0
    assert load_design(out).design == load_design(EXAMPLE.read_text()).design


def test_lab_export_refuses_a_broken_design(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    code, out, err = run_verb(export_verb, str(broken), "--to", "sh")
    assert (code, out) == (1, "")
    assert "broken.yaml:9: containers.c1.host" in err
