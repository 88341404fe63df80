"""Designs over HTTP: create, list, read, save versions, delete; who may do what; bad input."""

import pytest

from designer.models import Design, DesignVersion
from tests.site.conftest import example

pytestmark = pytest.mark.django_db

BROKEN_YAML = "apiVersion: mvlab/v1\nkind: Design\nname: two-vlans-routed\nhosts:\n  host1: {nics: [enp0s8]\n"


def test_yaml_is_stored_exactly_as_sent_with_its_parsed_form(owner, stored):
    version = DesignVersion.objects.get(design_id=stored["id"])
    assert version.yaml == example("two-vlans-routed")
    assert version.data["hosts"]["host3"]["forwarding"] is True
    assert stored["version"] == 1 and stored["name"] == "two-vlans-routed"
    assert stored["yaml"] == example("two-vlans-routed")
    assert Design.objects.get(pk=stored["id"]).owner == owner.user


def test_json_design_is_stored_as_yaml_that_loads_back_the_same(owner, stored):
    response = owner.post("/designs", {"design": stored["design"]})
    assert response.status_code == 201
    again = response.json()
    assert again["design"] == stored["design"]
    assert "host3" in DesignVersion.objects.get(design_id=again["id"]).yaml


def test_json_design_keeps_text_that_other_yaml_writers_take_for_numbers(owner, stored):
    design = dict(stored["design"], name="1e3", description="0o17\x85")
    response = owner.post("/designs", {"design": design})
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["design"]["description"]) == ("1e3", "0o17\x85")


def test_list_shows_only_own_designs(owner, other, stored):
    other.post("/designs", {"yaml": example("bridge-one-host")})
    mine = owner.get("/designs").json()
    assert [(d["id"], d["name"], d["version"]) for d in mine] == [(stored["id"], "two-vlans-routed", 1)]
    assert [d["name"] for d in other.get("/designs").json()] == ["bridge-one-host"]


def test_put_adds_a_version_and_keeps_the_old_one(owner, stored):
    changed = example("two-vlans-routed").replace("172.16.20.11", "172.16.20.12")
    response = owner.put(f"/designs/{stored['id']}", {"yaml": changed})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    versions = owner.get(f"/designs/{stored['id']}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    old = owner.get(f"/designs/{stored['id']}", version=1).json()
    assert "172.16.20.11" in old["yaml"]
    assert "172.16.20.12" in owner.get(f"/designs/{stored['id']}").json()["yaml"]


def test_bad_yaml_is_refused_with_its_line_and_keeps_the_stored_version(owner, stored):
    response = owner.put(f"/designs/{stored['id']}", {"yaml": BROKEN_YAML})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] and all(e["severity"] in ("error", "warning") for e in body["errors"])
    assert any(e["line"] is not None for e in body["errors"])
    assert DesignVersion.objects.filter(design_id=stored["id"]).count() == 1
    assert owner.get(f"/designs/{stored['id']}").json()["yaml"] == example("two-vlans-routed")


def test_schema_error_names_the_path(owner, stored):
    bad = example("two-vlans-routed").replace(
        "mode: bridge, subnet: 172.16.20.0/24", "mode: bridgy, subnet: 172.16.20.0/24"
    )
    response = owner.put(f"/designs/{stored['id']}", {"yaml": bad})
    assert response.status_code == 400
    assert any(e["path"].startswith("networks.mac20.mode") for e in response.json()["errors"])
    assert DesignVersion.objects.filter(design_id=stored["id"]).count() == 1


def test_body_with_neither_or_both_forms_is_a_clear_400(owner):
    for body in ({}, {"yaml": "x", "design": {}}):
        response = owner.post("/designs", body)
        assert response.status_code == 400
        assert "exactly one" in response.json()["errors"][0]["message"]
    assert Design.objects.count() == 0


def test_design_with_validation_errors_is_saved_with_its_issues(owner):
    text = example("two-vlans-routed").replace("d3: {host: host2,", "d3: {host: host9,")
    response = owner.post("/designs", {"yaml": text})
    assert response.status_code == 201
    issues = response.json()["issues"]
    assert any(i["severity"] == "error" and i["path"].startswith("containers.d3") for i in issues)
    assert DesignVersion.objects.get(design_id=response.json()["id"]).yaml == text


def test_delete_removes_design_and_versions(owner, stored):
    response = owner.delete(f"/designs/{stored['id']}")
    assert response.status_code == 204
    assert not Design.objects.filter(pk=stored["id"]).exists()
    assert not DesignVersion.objects.filter(design_id=stored["id"]).exists()
    assert owner.get(f"/designs/{stored['id']}").status_code == 404


def test_another_user_can_neither_read_change_nor_delete(other, stored):
    design_id = stored["id"]
    assert other.get(f"/designs/{design_id}").status_code == 404
    assert other.get(f"/designs/{design_id}/versions").status_code == 404
    assert other.get(f"/designs/{design_id}/export").status_code == 404
    assert other.put(f"/designs/{design_id}", {"yaml": example("bridge-one-host")}).status_code == 404
    assert other.delete(f"/designs/{design_id}").status_code == 404
    assert DesignVersion.objects.filter(design_id=design_id).count() == 1
    assert Design.objects.filter(pk=design_id).exists()


def test_a_stranger_is_asked_to_sign_in(stranger, stored):
    assert stranger.get("/designs").status_code == 401
    assert stranger.get(f"/designs/{stored['id']}").status_code == 401
    assert stranger.post("/designs", {"yaml": example("bridge-one-host")}).status_code == 401
    assert Design.objects.count() == 1


def test_state_changes_without_csrf_token_are_refused(owner, stored):
    assert owner.post("/designs", {"yaml": example("bridge-one-host")}, csrf=False).status_code == 403
    assert (
        owner.put(f"/designs/{stored['id']}", {"yaml": example("bridge-one-host")}, csrf=False).status_code
        == 403
    )
    assert owner.delete(f"/designs/{stored['id']}", csrf=False).status_code == 403
    assert Design.objects.count() == 1
    assert DesignVersion.objects.filter(design_id=stored["id"]).count() == 1
