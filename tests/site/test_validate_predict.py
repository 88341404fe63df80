"""Checking a design without storing it: issues with path and line, addresses, the matrix."""

import pytest

from designer.models import Design
from tests.site.conftest import example

pytestmark = pytest.mark.django_db


def test_valid_design_is_ok_with_the_addresses_ipam_hands_out(owner):
    response = owner.post("/validate", {"yaml": example("two-vlans-routed")})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["allocation"]["d1"]["mac10"]["ip"].startswith("172.16.10.10")
    d3 = body["allocation"]["d3"]["mac10"]
    assert d3["ip"] and d3["mac"].startswith("02:42:")
    assert Design.objects.count() == 0


def test_errors_carry_path_and_line(owner):
    text = example("two-vlans-routed").replace(
        "d1: {host: host1, networks: {mac10: {ip: 172.16.10.10}}}",
        "d1: {host: host1, networks: {mac10: {ip: 172.16.20.10}}}",
    )
    body = owner.post("/validate", {"yaml": text}).json()
    assert body["ok"] is False
    errors = [i for i in body["issues"] if i["severity"] == "error"]
    assert errors and errors[0]["path"].startswith("containers.d1")
    d1_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith("d1:"))
    assert errors[0]["line"] == d1_line


def test_predict_answers_the_matrix_with_nothing_observed(owner):
    response = owner.post("/predict", {"yaml": example("two-vlans-routed")})
    assert response.status_code == 200
    matrix = response.json()
    names = {e["name"] for e in matrix["endpoints"]}
    assert {"d1", "d2", "d3", "d4"} <= names
    assert matrix["pairs"] and all(p["observed"] is None for p in matrix["pairs"])
    d1_d3 = [p for p in matrix["pairs"] if p["src"] == "d1" and p["dst"] == "d3"]
    assert d1_d3 and d1_d3[0]["expected"] is True


def test_predict_refuses_a_design_with_errors(owner):
    text = example("two-vlans-routed").replace("d3: {host: host2,", "d3: {host: host9,")
    response = owner.post("/predict", {"yaml": text})
    assert response.status_code == 400
    assert any(e["path"].startswith("containers.d3") for e in response.json()["errors"])


def test_json_form_is_checked_like_yaml(owner, stored):
    design = dict(stored["design"])
    design["networks"] = {
        **design["networks"],
        "mac20": {**design["networks"]["mac20"], "subnet": "300.1.1.0/24"},
    }
    response = owner.post("/validate", {"design": design})
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["networks.mac20.subnet"]


def test_needs_sign_in_and_csrf(owner, stranger):
    assert stranger.post("/validate", {"yaml": example("two-vlans-routed")}).status_code == 401
    assert owner.post("/predict", {"yaml": example("two-vlans-routed")}, csrf=False).status_code == 403
